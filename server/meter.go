package server

import (
	"errors"
	"time"
)

// The input meter.
//
// gorilla/websocket reads a client's frames and handles its control frames
// and the fragments of its messages itself, and tells the server only of
// whole messages (and of pongs, through a handler). A client could keep it
// busy without ever finishing a message: a flood of pings or pongs, or a
// message of endless empty continuation frames, each a few bytes that the
// read limit never sees. So the server watches the frame headers in the
// bytes as they pass from the socket to gorilla (conn.Read: gorilla reads
// only through the reader the hijacker hands it, pinned by
// TestGorillaAdoptsReadBuffer), before gorilla parses them, and stops a client that sends more control frames than any
// client needs, or more frames in one message than any client makes.
// Payloads are skipped by arithmetic: the meter costs a few comparisons a
// frame.

// Input limits.
var (
	// controlRule bounds the pings, pongs and closes a client sends. A
	// healthy client sends one pong per ping (one every PingInterval) and
	// perhaps pings of its own; a browser sends none.
	controlRule = rule{rate: 10, burst: 50}
)

// maxFragments is the most frames one message may arrive in. Browsers send
// a message as one frame; gorilla's client splits one at its 4 KiB write
// buffer, so a 64 KiB message is 16.
const maxFragments = 128

// Errors the meter ends a connection with.
var (
	errControlFlood = errors.New("too many control frames")
	errFragments    = errors.New("too many fragments in one message")
)

// meter follows the frames in a client's byte stream from their headers.
// It is owned by the peer's reader, the only caller of conn.Read, and is
// 24 bytes of every connection.
type meter struct {
	left  uint32 // bytes of the current frame still to pass (mask and payload), or its extended length being read
	frags uint16 // frames of the message in progress
	state uint8  // what the next byte is: see the meter* states
	need  uint8  // extended length bytes still to read, and maskedBit
	ctl   bucket // control frames
}

// The meter's states.
const (
	meterFirst  = iota // the first header byte: FIN, RSV, opcode
	meterSecond        // the second: MASK and the 7-bit length
	meterExtLen        // an extended payload length, need bytes to go
	meterBody          // the masking key and payload, left bytes to go
)

// maskedBit in meter.need marks a frame with a masking key.
const maskedBit = 0x80

// feed passes b through the meter. It returns an error once the client has
// gone over a limit; the connection is then read no further.
//
// A frame longer than 4 GiB is counted as 4 GiB long: gorilla refuses any
// frame over the read limit from its header, so the meter never has to
// find the end of one.
func (m *meter) feed(b []byte) error {
	for len(b) > 0 {
		switch m.state {
		case meterBody:
			if n := uint32(min(len(b), 1<<31)); n < m.left {
				m.left -= n
				return nil
			}
			b = b[m.left:]
			m.left = 0
			m.state = meterFirst
		case meterFirst:
			op := b[0] & 0x0f
			b = b[1:]
			switch {
			case op >= 0x8: // a control frame, possibly between fragments
				if ok, _ := m.ctl.take(controlRule, time.Now()); !ok {
					return errControlFlood
				}
			case op == 0x0: // a continuation
				m.frags++
				if m.frags > maxFragments {
					return errFragments
				}
			default: // the first frame of a message
				m.frags = 1
			}
			m.state = meterSecond
		case meterSecond:
			m.need = 0
			if b[0]&0x80 != 0 {
				m.need = maskedBit
			}
			n := b[0] & 0x7f
			b = b[1:]
			switch n {
			case 126:
				m.state, m.left = meterExtLen, 0
				m.need |= 2
				continue
			case 127:
				m.state, m.left = meterExtLen, 0
				m.need |= 8
				continue
			}
			m.startBody(uint64(n))
		case meterExtLen:
			// Saturating: a length over 4 GiB stays at the most.
			if m.left < 1<<24 {
				m.left = m.left<<8 | uint32(b[0])
			} else {
				m.left = 1<<32 - 1
			}
			b = b[1:]
			m.need--
			if m.need&^maskedBit == 0 {
				m.startBody(uint64(m.left))
			}
		}
	}
	return nil
}

// startBody sets the meter to skip a frame's masking key and payload.
func (m *meter) startBody(payload uint64) {
	if m.need&maskedBit != 0 {
		payload += 4
	}
	m.left = uint32(min(payload, 1<<32-1))
	m.state = meterBody
	if payload == 0 {
		m.state = meterFirst
	}
}
