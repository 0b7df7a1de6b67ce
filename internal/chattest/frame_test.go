package chattest_test

import (
	"testing"

	"parley/internal/chattest"
)

func TestFrameLen(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    []byte
		n, h int
		ok   bool
	}{
		{"short", []byte{0x81, 5, 'h', 'e', 'l', 'l', 'o'}, 5, 2, true},
		{"masked short", []byte{0x81, 0x80 | 125}, 125, 2, true},
		{"16-bit", []byte{0x81, 126, 0x01, 0x00}, 256, 4, true},
		{"64-bit", []byte{0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0}, 65536, 10, true},
		{"empty", nil, 0, 0, false},
		{"one byte", []byte{0x81}, 0, 0, false},
		{"16-bit cut", []byte{0x81, 126, 0x01}, 0, 0, false},
		{"64-bit cut", []byte{0x81, 127, 0, 0, 0}, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, h, ok := chattest.FrameLen(tc.b)
			if n != tc.n || h != tc.h || ok != tc.ok {
				t.Errorf("FrameLen(% x) = %d, %d, %v; want %d, %d, %v", tc.b, n, h, ok, tc.n, tc.h, tc.ok)
			}
		})
	}
}
