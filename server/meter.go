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
// bytes as they pass from the socket to gorilla (conn.Read), before gorilla
// parses them, and stops a client that sends more control frames than any
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
// It is owned by the peer's reader, the only caller of conn.Read.
type meter struct {
	left   uint64 // bytes of the current frame still to pass (mask and payload), or its extended length being read
	state  uint8  // what the next byte is: see the meter* states
	need   uint8  // extended length bytes still to read
	masked bool   // the current frame has a masking key
	frags  uint16 // frames of the message in progress
	ctl    bucket // control frames
}

// The meter's states.
const (
	meterFirst  = iota // the first header byte: FIN, RSV, opcode
	meterSecond        // the second: MASK and the 7-bit length
	meterExtLen        // an extended payload length, need bytes to go
	meterBody          // the masking key and payload, left bytes to go
)

// feed passes b through the meter. It returns an error once the client has
// gone over a limit; the connection is then read no further.
func (m *meter) feed(b []byte) error {
	for len(b) > 0 {
		switch m.state {
		case meterBody:
			n := uint64(len(b))
			if n >= m.left {
				b = b[m.left:]
				m.left = 0
				m.state = meterFirst
				continue
			}
			m.left -= n
			return nil
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
			m.masked = b[0]&0x80 != 0
			n := b[0] & 0x7f
			b = b[1:]
			switch n {
			case 126:
				m.state, m.need, m.left = meterExtLen, 2, 0
				continue
			case 127:
				m.state, m.need, m.left = meterExtLen, 8, 0
				continue
			}
			m.startBody(uint64(n))
		case meterExtLen:
			m.left = m.left<<8 | uint64(b[0])
			b = b[1:]
			m.need--
			if m.need == 0 {
				m.startBody(m.left)
			}
		}
	}
	return nil
}

// startBody sets the meter to skip a frame's masking key and payload.
func (m *meter) startBody(payload uint64) {
	if m.masked {
		payload += 4
	}
	m.left = payload
	m.state = meterBody
	if payload == 0 {
		m.state = meterFirst
	}
}
