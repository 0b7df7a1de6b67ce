package server

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sync"
	"unicode/utf8"

	"parley/net/wire"
)

// WebSocket opcodes (RFC 6455 section 5.2) of the frames the server builds.
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xa
	finBit  = 0x80
)

// pingFrame is the one ping every connection is sent; frames are never
// modified after they are built, so all peers share it.
var pingFrame = []byte{finBit | opPing, 0}

// headerLen returns the length of the header of a server frame whose
// payload is n bytes.
func headerLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	}
	return 10
}

// putHeader writes a final, unmasked frame header for op and a payload of
// n bytes into b, which must be headerLen(n) long.
func putHeader(b []byte, op byte, n int) {
	b[0] = finBit | op
	switch len(b) {
	case 2:
		b[1] = byte(n)
	case 4:
		b[1] = 126
		binary.BigEndian.PutUint16(b[2:], uint16(n))
	default:
		b[1] = 127
		binary.BigEndian.PutUint64(b[2:], uint64(n))
	}
}

// frameOf returns a complete frame (header and payload) in one allocation,
// ready to be written as is to any number of connections.
func frameOf(op byte, payload []byte) []byte {
	h := headerLen(len(payload))
	f := make([]byte, h+len(payload))
	putHeader(f[:h], op, len(payload))
	copy(f[h:], payload)
	return f
}

// appendFrame appends a complete frame of op and payload to dst.
func appendFrame[T string | []byte](dst []byte, op byte, payload T) []byte {
	h := headerLen(len(payload))
	n := len(dst)
	dst = slices.Grow(dst, h+len(payload))[:n+h]
	putHeader(dst[n:], op, len(payload))
	return append(dst, payload...)
}

// textFrame frames s as one text message.
func textFrame(s string) []byte {
	h := headerLen(len(s))
	f := make([]byte, h+len(s))
	putHeader(f[:h], opText, len(s))
	copy(f[h:], s)
	return f
}

// closeFrame builds a close frame with code and reason, the reason cut at
// a character boundary to fit the 125-byte control frame limit.
func closeFrame(code int, reason string) []byte {
	const max = 125 - 2
	if len(reason) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(reason[cut]) {
			cut--
		}
		reason = reason[:cut]
	}
	payload := make([]byte, 2+len(reason))
	binary.BigEndian.PutUint16(payload, uint16(code))
	copy(payload[2:], reason)
	return frameOf(opClose, payload)
}

// encBufs recycles the buffers rich frames are encoded into.
var encBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// encoded encodes f into a pooled buffer and passes its bytes to use,
// which must not keep them.
func encoded(f wire.Frame, use func([]byte)) error {
	buf := encBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 64<<10 {
			buf.Reset()
			encBufs.Put(buf)
		}
	}()
	buf.Reset()
	if err := wire.EncodeTo(buf, f); err != nil {
		return err
	}
	use(buf.Bytes())
	return nil
}

// jsonFrame encodes f and frames it as one text message. The encoding
// buffer is pooled, so the finished frame costs one allocation.
func jsonFrame(f wire.Frame) (frame []byte, err error) {
	err = encoded(f, func(b []byte) { frame = frameOf(opText, b) })
	return frame, err
}

// appendJSONFrame appends f, encoded and framed as one text message, to
// dst; like mustJSONFrame, for frames whose encoding cannot fail.
func appendJSONFrame(dst []byte, f wire.Frame) []byte {
	if err := encoded(f, func(b []byte) { dst = appendFrame(dst, opText, b) }); err != nil {
		panic("server: encoding " + string(f.FrameType()) + ": " + err.Error())
	}
	return dst
}

// mustJSONFrame is jsonFrame for frames built by the server itself, whose
// encoding cannot fail: every member is a plain string, number or bool.
func mustJSONFrame(f wire.Frame) []byte {
	b, err := jsonFrame(f)
	if err != nil {
		panic("server: encoding " + string(f.FrameType()) + ": " + err.Error())
	}
	return b
}
