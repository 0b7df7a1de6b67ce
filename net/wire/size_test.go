package wire_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"parley/net/wire"
)

// quoted is s as Encode writes a string member.
func quoted(t testing.TB, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestQuotedLen(t *testing.T) {
	for _, s := range []string{"", "hi", `"quoted"`, `back\slash`, "a\nb\tc\rd", "\x00\x01\x1f",
		"\b\f", "<b>&amp;</b>", "\u2028\u2029", "\xff\xfe", "é漢字🙂", "\x7f"} {
		if got, want := wire.QuotedLen(s), len(quoted(t, s)); got != want {
			t.Errorf("QuotedLen(%q) = %d, want %d (%s)", s, got, want, quoted(t, s))
		}
	}
}

func FuzzQuotedLen(f *testing.F) {
	for _, s := range []string{"", `""""`, "\x00\u2028\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := wire.QuotedLen(s), len(quoted(t, s)); got != want {
			t.Fatalf("QuotedLen(%q) = %d, want %d", s, got, want)
		}
	})
}
