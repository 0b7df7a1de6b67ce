package wire_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/net/wire"
)

// FuzzDecode checks that Decode never panics, that it fails only with the
// documented errors, and that whatever it accepts encodes and decodes back
// to the same frame.
func FuzzDecode(f *testing.F) {
	for _, tc := range frames {
		data, err := wire.Encode(tc.frame)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"send","text":"\u0000\ud800"}`))
	f.Add([]byte(`{"type":"hello","after":18446744073709551615}`))
	f.Add([]byte(`{"type":"welcome","users":[{"nick":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := wire.Decode(data)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformed) && !errors.Is(err, wire.ErrUnknownType) {
				t.Fatalf("Decode error %v wraps neither ErrMalformed nor ErrUnknownType", err)
			}
			return
		}
		again, err := wire.Encode(fr)
		if err != nil {
			t.Fatalf("Encode(Decode(%q)): %v", data, err)
		}
		back, err := wire.Decode(again)
		if err != nil {
			t.Fatalf("Decode(Encode(Decode(%q))): %v", data, err)
		}
		if fr.FrameType() != back.FrameType() {
			t.Fatalf("type changed: %s then %s", fr.FrameType(), back.FrameType())
		}
	})
}

// FuzzCleanText checks the guarantees the server relies on: cleaned text is
// valid UTF-8, holds no control character but LF and tab, has no CR, and
// cleaning twice changes nothing.
func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"hi", "a\r\nb", "\x1b[31m", "\u202e", "\xff\xfe", " x ", "a\u2028b\u0085c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := wire.CleanText(s)
		if !utf8.ValidString(c) {
			t.Fatalf("CleanText(%q) = %q is not valid UTF-8", s, c)
		}
		for _, r := range c {
			if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) ||
				r == 0x2028 || r == 0x2029 {
				t.Fatalf("CleanText(%q) = %q keeps %U", s, c, r)
			}
		}
		if wire.CleanText(c) != c {
			t.Fatalf("CleanText is not idempotent on %q", s)
		}
		if strings.TrimSpace(c) != c {
			t.Fatalf("CleanText(%q) = %q is not trimmed", s, c)
		}
		if nick, err := wire.CheckNick(s); err == nil {
			line := wire.PlainLine(nick, c)
			if strings.Count(line, "\n") != strings.Count(c, "\n") {
				t.Fatalf("PlainLine added or lost lines: %q", line)
			}
		}
	})
}
