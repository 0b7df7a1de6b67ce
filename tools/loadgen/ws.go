package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The load generator speaks WebSocket with its own small client instead of
// gorilla's: one load-generating core has to parse up to millions of frames
// a second, and this reader parses frames in place in its read buffer
// (no allocation, no copy for a frame that fits), which gorilla's
// NextReader cannot do. It implements only what a client needs: the
// handshake, masked writes, fragmented and control frames on reads.

// WebSocket opcodes (RFC 6455 section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xa
)

// maxMessage bounds a message the client will assemble, so that a broken
// server cannot make the load generator allocate without limit.
const maxMessage = 16 << 20

// acceptGUID is the fixed GUID of RFC 6455's Sec-WebSocket-Accept.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// writeWait bounds every write, so a server that stops reading cannot hang
// the generator past its deadline.
const writeWait = 5 * time.Second

// errProtocol is a frame this client cannot accept.
var errProtocol = errors.New("websocket protocol error")

// closeError is the close frame a server sent.
type closeError struct {
	Code   int // 1005 when the frame had no code
	Reason string
}

func (e *closeError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("close %d", e.Code)
	}
	return fmt.Sprintf("close %d: %s", e.Code, e.Reason)
}

// stampConn notes when each read returned data, on the run's monotonic
// clock. Frames that arrived in one read left the socket at the same
// instant, so that is their receipt time, whatever the order in which
// they are then parsed; and the clock is read once per read instead of
// once per frame (a clock read costs as much as parsing a frame here).
type stampConn struct {
	net.Conn
	base time.Time
	at   int64 // nanoseconds since base of the last read that returned data
}

func (s *stampConn) Read(p []byte) (int, error) {
	n, err := s.Conn.Read(p)
	if n > 0 {
		s.at = int64(time.Since(s.base))
	}
	return n, err
}

// wsConn is one client connection. One goroutine reads (readMessage); any
// goroutine may write, writes are serialised by wmu.
type wsConn struct {
	c        net.Conn
	stamp    *stampConn // c, as br reads it
	br       *bufio.Reader
	proto    string // the subprotocol the server selected
	pending  int    // bytes of the last returned frame still in br
	scratch  []byte // assembles fragmented or oversized messages
	wmu      sync.Mutex
	wbuf     []byte
	maskSeed uint32
}

// dialWS opens a WebSocket connection to ws://addr+path, offering the
// subprotocol proto when it is not empty. rbuf is the read buffer size: a
// frame up to that size is parsed without a copy. base is the zero of the
// receipt times that receivedAt reports.
func dialWS(ctx context.Context, d *net.Dialer, addr, path, proto string, rbuf int, base time.Time) (*wsConn, error) {
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	ws, err := handshake(&stampConn{Conn: c, base: base}, addr, path, proto, rbuf)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.SetDeadline(time.Time{})
	return ws, nil
}

func handshake(c *stampConn, addr, path, proto string, rbuf int) (*wsConn, error) {
	var nonce [16]byte
	rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", path, addr)
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", key)
	if proto != "" {
		fmt.Fprintf(&b, "Sec-WebSocket-Protocol: %s\r\n", proto)
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	br := bufio.NewReaderSize(c, rbuf)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return nil, fmt.Errorf("handshake: status %s", resp.Status)
	}
	if got, want := resp.Header.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
		return nil, fmt.Errorf("handshake: Sec-WebSocket-Accept %q, want %q", got, want)
	}
	var seed [4]byte
	rand.Read(seed[:])
	return &wsConn{
		c:        c.Conn,
		stamp:    c,
		br:       br,
		proto:    resp.Header.Get("Sec-WebSocket-Protocol"),
		maskSeed: binary.LittleEndian.Uint32(seed[:]) | 1,
	}, nil
}

func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + acceptGUID))
	return base64.StdEncoding.EncodeToString(h[:])
}

// readMessage returns the next text or binary message. Its bytes are valid
// until the next call. It answers pings itself and returns a *closeError
// when the server closes.
func (w *wsConn) readMessage() (op byte, p []byte, err error) {
	if w.pending > 0 {
		w.br.Discard(w.pending)
		w.pending = 0
	}
	var msgOp byte
	w.scratch = w.scratch[:0]
	assembling := false
	for {
		fin, fop, n, mask, err := w.readHeader()
		if err != nil {
			return 0, nil, err
		}
		if fop >= opClose {
			if !fin || n > 125 {
				return 0, nil, fmt.Errorf("%w: control frame op %d len %d", errProtocol, fop, n)
			}
			body, err := w.readBody(int(n), mask, nil)
			if err != nil {
				return 0, nil, err
			}
			switch fop {
			case opPing:
				if err := w.writeFrame(opPong, body, writeWait); err != nil {
					return 0, nil, err
				}
			case opClose:
				ce := &closeError{Code: 1005}
				if len(body) >= 2 {
					ce.Code = int(binary.BigEndian.Uint16(body))
					ce.Reason = string(body[2:])
				}
				w.writeFrame(opClose, body[:min(2, len(body))], 100*time.Millisecond)
				return 0, nil, ce
			}
			continue
		}
		switch {
		case fop == opContinuation && !assembling:
			return 0, nil, fmt.Errorf("%w: continuation without a first frame", errProtocol)
		case fop != opContinuation && assembling:
			return 0, nil, fmt.Errorf("%w: new message inside a fragmented one", errProtocol)
		case fop != opContinuation && fop != opText && fop != opBinary:
			return 0, nil, fmt.Errorf("%w: opcode %d", errProtocol, fop)
		}
		if n > maxMessage || uint64(len(w.scratch))+n > maxMessage {
			return 0, nil, fmt.Errorf("%w: message over %d bytes", errProtocol, maxMessage)
		}
		if fop != opContinuation {
			msgOp = fop
		}
		if fin && !assembling && mask == nil && int(n) <= w.br.Size() {
			// The common case: the whole message in one frame that fits in
			// the read buffer. Parse it where it lies.
			p, err := w.br.Peek(int(n))
			if err != nil {
				return 0, nil, err
			}
			w.pending = int(n)
			return msgOp, p, nil
		}
		w.scratch, err = w.readBody(int(n), mask, w.scratch)
		if err != nil {
			return 0, nil, err
		}
		if fin {
			return msgOp, w.scratch, nil
		}
		assembling = true
	}
}

// receivedAt returns when the bytes of the message readMessage returned
// last came off the socket, in nanoseconds since dialWS's base.
func (w *wsConn) receivedAt() int64 { return w.stamp.at }

// readHeader reads one frame header.
func (w *wsConn) readHeader() (fin bool, op byte, n uint64, mask []byte, err error) {
	h, err := w.br.Peek(2)
	if err != nil {
		return false, 0, 0, nil, err
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0f
	if h[0]&0x70 != 0 {
		return false, 0, 0, nil, fmt.Errorf("%w: reserved bits set", errProtocol)
	}
	masked := h[1]&0x80 != 0
	n = uint64(h[1] & 0x7f)
	size := 2
	switch n {
	case 126:
		size += 2
	case 127:
		size += 8
	}
	if masked {
		size += 4
	}
	h, err = w.br.Peek(size)
	if err != nil {
		return false, 0, 0, nil, err
	}
	switch n {
	case 126:
		n = uint64(binary.BigEndian.Uint16(h[2:]))
	case 127:
		n = binary.BigEndian.Uint64(h[2:])
	}
	if masked {
		mask = append([]byte(nil), h[size-4:size]...)
	}
	w.br.Discard(size)
	return fin, op, n, mask, nil
}

// readBody appends n bytes of frame body to dst, unmasking them.
func (w *wsConn) readBody(n int, mask []byte, dst []byte) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, n)...)
	if _, err := io.ReadFull(w.br, dst[start:]); err != nil {
		return nil, err
	}
	if mask != nil {
		for i := range dst[start:] {
			dst[start+i] ^= mask[i&3]
		}
	}
	return dst, nil
}

// writeText sends p as one text frame.
func (w *wsConn) writeText(p []byte) error {
	return w.writeFrame(opText, p, writeWait)
}

// writeFrame sends one final frame, masked as a client must.
func (w *wsConn) writeFrame(op byte, p []byte, wait time.Duration) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.wbuf = w.appendFrame(w.wbuf[:0], op, p)
	w.c.SetWriteDeadline(time.Now().Add(wait))
	_, err := w.c.Write(w.wbuf)
	return err
}

// writeTexts sends each of msgs as its own text frame, all in one write:
// a client that has several messages ready pipelines them, as a browser
// does, and the load generator's one core saves a system call per message.
func (w *wsConn) writeTexts(msgs [][]byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	b := w.wbuf[:0]
	for _, p := range msgs {
		b = w.appendFrame(b, opText, p)
	}
	w.wbuf = b
	w.c.SetWriteDeadline(time.Now().Add(writeWait))
	_, err := w.c.Write(b)
	return err
}

// appendFrame appends one final masked frame to b. The caller holds wmu.
func (w *wsConn) appendFrame(b []byte, op byte, p []byte) []byte {
	b = append(b, 0x80|op)
	switch n := len(p); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	// xorshift: masking defends proxies against cache poisoning, which
	// needs unpredictability only against the page author, not here.
	s := w.maskSeed
	s ^= s << 13
	s ^= s >> 17
	s ^= s << 5
	w.maskSeed = s
	var key [4]byte
	binary.LittleEndian.PutUint32(key[:], s)
	b = append(b, key[:]...)
	start := len(b)
	b = append(b, p...)
	for i := range b[start:] {
		b[start+i] ^= key[i&3]
	}
	return b
}

// close sends a close frame (best effort) and closes the connection.
func (w *wsConn) close() {
	w.writeFrame(opClose, []byte{0x03, 0xe8}, 100*time.Millisecond) // 1000
	w.c.Close()
}
