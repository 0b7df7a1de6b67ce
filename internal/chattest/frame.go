package chattest

import "encoding/binary"

// FrameLen reads the header of the WebSocket frame at the start of b (RFC
// 6455, section 5.2): its payload length n and the length h of the header
// before any masking key, 2, 4 or 10 bytes. ok is false when b is too
// short to hold the header. Tests that take apart captured bytes use it.
func FrameLen(b []byte) (n, h int, ok bool) {
	if len(b) < 2 {
		return 0, 0, false
	}
	switch n := int(b[1] & 0x7f); n {
	case 126:
		if len(b) < 4 {
			return 0, 0, false
		}
		return int(binary.BigEndian.Uint16(b[2:])), 4, true
	case 127:
		if len(b) < 10 {
			return 0, 0, false
		}
		return int(binary.BigEndian.Uint64(b[2:])), 10, true
	default:
		return n, 2, true
	}
}
