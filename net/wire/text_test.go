package wire_test

import (
	"errors"
	"strings"
	"testing"

	"parley/net/wire"
)

func TestCheckNick(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"alice", "alice", nil},
		{"  bob  ", "bob", nil},
		{"Zoë", "Zoë", nil},
		{"李雷", "李雷", nil},
		{"guest-12", "guest-12", nil},
		{"[away]_x|y^z`", "[away]_x|y^z`", nil},
		{"o'brien", "o'brien", nil},
		{strings.Repeat("a", wire.MaxNick), strings.Repeat("a", wire.MaxNick), nil},
		{"", "", wire.ErrNickEmpty},
		{"   ", "", wire.ErrNickEmpty},
		{strings.Repeat("a", wire.MaxNick+1), "", wire.ErrNickLong},
		{"two words", "", wire.ErrNickChars},
		{"bob:", "", wire.ErrNickChars},
		{"*bob", "", wire.ErrNickChars},
		{"bob\n", "bob", nil},
		{"bo\nb", "", wire.ErrNickChars},
		{"bo\x1b[31mb", "", wire.ErrNickChars},
		{"al\u202eice", "", wire.ErrNickChars},
		{"al\u200bice", "", wire.ErrNickChars},
		{"bad\xffutf8", "", wire.ErrNickChars},
		{"-dash", "", wire.ErrNickPrefix},
		{".dot", "", wire.ErrNickPrefix},
		{"\u0301accent", "", wire.ErrNickChars},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := wire.CheckNick(tc.in)
			if !errors.Is(err, tc.err) {
				t.Fatalf("CheckNick(%q) error = %v, want %v", tc.in, err, tc.err)
			}
			if got != tc.want {
				t.Errorf("CheckNick(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestFoldNick(t *testing.T) {
	if wire.FoldNick("ALICE") != wire.FoldNick("alice") {
		t.Error("nicknames differing only in case must fold to the same key")
	}
	if wire.FoldNick("alice") == wire.FoldNick("alicé") {
		t.Error("different nicknames must not fold together")
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "hello", "hello"},
		{"trims", "  \n hello \n\n", "hello"},
		{"keeps inner newlines and tabs", "a\n\tb", "a\n\tb"},
		{"crlf", "a\r\nb", "a\nb"},
		{"lone cr", "a\rbob: fake", "a\nbob: fake"},
		{"escape sequence", "red \x1b[31mtext\x1b[0m", "red [31mtext[0m"},
		{"bell and nul", "a\x07b\x00c", "abc"},
		{"del and c1", "a\x7fb\u0085c\u009bd", "ab\ncd"}, // NEL is a line break
		{"bidi override", "abc\u202edcba", "abcdcba"},
		{"isolates", "\u2066x\u2069", "x"},
		{"bom", "\ufeffhi", "hi"},
		{"unicode kept", "naïve ✓ 日本", "naïve ✓ 日本"},
		{"emoji zwj kept", "👩\u200d💻", "👩\u200d💻"},
		{"only controls", "\x1b\x07", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wire.CleanText(tc.in); got != tc.want {
				t.Errorf("CleanText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
		err  error
	}{
		{"ok", "hi", 10, "hi", nil},
		{"exactly max", "abcde", 5, "abcde", nil},
		{"over max", "abcdef", 5, "", wire.ErrTextLong},
		{"max counts cleaned text", "  abcde \x1b", 5, "abcde", nil},
		{"no limit", strings.Repeat("x", 100000), 0, strings.Repeat("x", 100000), nil},
		{"empty", "", 5, "", wire.ErrTextEmpty},
		{"blank", " \n\t ", 5, "", wire.ErrTextEmpty},
		{"invalid utf8", "a\xc3", 5, "", wire.ErrTextInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wire.CheckText(tc.in, tc.max)
			if !errors.Is(err, tc.err) {
				t.Fatalf("CheckText error = %v, want %v", err, tc.err)
			}
			if got != tc.want {
				t.Errorf("CheckText = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPlainLine(t *testing.T) {
	tests := []struct{ from, text, want string }{
		{"alice", "hi", "alice: hi"},
		{"alice", "one\nbob: forged", "alice: one\n       bob: forged"},
		{"李", "a\nb", "李: a\n   b"},
	}
	for _, tc := range tests {
		if got := wire.PlainLine(tc.from, tc.text); got != tc.want {
			t.Errorf("PlainLine(%q, %q) = %q, want %q", tc.from, tc.text, got, tc.want)
		}
	}
	if got := wire.PlainNotice("bob joined\nfake: line"); got != "* bob joined\n  fake: line" {
		t.Errorf("PlainNotice = %q", got)
	}
}
