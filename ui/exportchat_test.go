package ui_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"parley/ui"
)

// buffer is a WriteCloser that remembers being closed, or fails.
type buffer struct {
	bytes.Buffer
	closed bool
	fail   error
}

func (b *buffer) Write(p []byte) (int, error) {
	if b.fail != nil {
		return 0, b.fail
	}
	return b.Buffer.Write(p)
}
func (b *buffer) Close() error { b.closed = true; return nil }

// The chat exports to text and to HTML: every message with its time and
// sender, further lines indented, HTML escaped with links as anchors; a
// failing file is an error, and the file is closed either way.
func TestExportChat(t *testing.T) {
	rememberedApp(t)
	addr := startStoredServer(t, 50)
	fill(t, addr, []string{"hello <b>all</b> & co", "see https://example.com/a?b=1&c=2 now", "two\nlines"})
	u, p := newUI(t, ui.Options{})
	u.Dial(addr, "bob")
	waitFor(t, "the backlog", func() bool { return u.Count("two\nlines") == 1 }, p)

	var txt buffer
	if err := u.ExportTo(&txt, "room.txt"); err != nil || !txt.closed {
		t.Fatalf("text export: %v, closed %v", err, txt.closed)
	}
	out := txt.String()
	for _, want := range []string{"alice: hello <b>all</b> & co\n", "alice: two\n                  lines\n", "-- You joined Testroom"} {
		if !strings.Contains(out, want) {
			t.Errorf("text export lacks %q:\n%s", want, out)
		}
	}

	var page buffer
	if err := u.ExportTo(&page, "Room.HTML"); err != nil {
		t.Fatal(err)
	}
	h := page.String()
	for _, want := range []string{"<!DOCTYPE html>", "hello &lt;b&gt;all&lt;/b&gt; &amp; co",
		`<a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a> now`, "<title>Testroom</title>"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML export lacks %q:\n%s", want, h)
		}
	}
	if strings.Contains(h, "<b>all") {
		t.Error("HTML export did not escape a message")
	}

	bad := buffer{fail: errors.New("disk full")}
	if err := u.ExportTo(&bad, "room.txt"); err == nil || !strings.Contains(err.Error(), "disk full") || !bad.closed {
		t.Fatalf("failing export: %v, closed %v", err, bad.closed)
	}
}
