package wire_test

import (
	"strings"
	"testing"

	"parley/net/wire"
)

// Every way text can start a new line ends up as an LF, which PlainLine
// indents: no line of a message can pass for a message of its own, in a
// terminal or in a browser, which also breaks lines at NEL, LINE SEPARATOR
// and PARAGRAPH SEPARATOR.
func TestCleanTextLineBreaks(t *testing.T) {
	for _, br := range []string{"\n", "\r\n", "\r", "\u0085", "\u2028", "\u2029"} {
		in := "hi" + br + "bob: forged"
		got := wire.CleanText(in)
		if got != "hi\nbob: forged" {
			t.Errorf("CleanText(%q) = %q", in, got)
		}
		line := wire.PlainLine("eve", got)
		if line != "eve: hi\n     bob: forged" {
			t.Errorf("PlainLine of %q = %q", in, line)
		}
		for _, l := range strings.Split(line, "\n")[1:] {
			if strings.HasPrefix(l, "bob") {
				t.Errorf("%q has a line of its own", line)
			}
		}
	}
	// Line breaks inside a clean text are kept as LF, idempotently.
	if got := wire.CleanText("a\u2028\u2028b"); got != "a\n\nb" || wire.CleanText(got) != got {
		t.Errorf("CleanText of two separators = %q", got)
	}
}
