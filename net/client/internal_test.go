package client

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"parley/net/wire"
)

func TestBackoffBounds(t *testing.T) {
	const min, max = 250 * time.Millisecond, 30 * time.Second
	for attempt := range 80 {
		ceil := max
		if attempt < 20 && min<<attempt < max {
			ceil = min << attempt
		}
		for range 200 {
			d := backoff(attempt, min, max)
			if d < min || d > ceil {
				t.Fatalf("backoff(%d) = %s, want within %s..%s", attempt, d, min, ceil)
			}
		}
	}
	// Jitter: the draws for one attempt are not all the same.
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[backoff(5, min, max)] = true
	}
	if len(seen) < 10 {
		t.Errorf("backoff(5) took only %d values in 50 draws", len(seen))
	}
	if d := backoff(3, time.Second, time.Millisecond); d != time.Second {
		t.Errorf("max below min: %s, want min", d)
	}
}

func TestRecent(t *testing.T) {
	r := newRecent(3)
	m := func(from, cid string) wire.Msg { return wire.Msg{From: from, CID: cid, Time: 1, Text: "x"} }
	if r.repeat(m("bob", "1"), "e1") {
		t.Error("a new message is a repeat")
	}
	if r.repeat(m("bob", "1"), "e1") {
		t.Error("within one epoch ids decide, not the set")
	}
	if !r.repeat(m("Bob", "1"), "e2") {
		t.Error("the same sender and cid in a new epoch is not a repeat")
	}
	if r.repeat(m("carol", "1"), "e2") {
		t.Error("another sender's cid is a repeat")
	}
	r.repeat(m("dave", "1"), "e2")
	r.repeat(m("erin", "1"), "e2") // evicts bob's, the oldest
	if r.repeat(m("bob", "1"), "e3") {
		t.Error("the set did not forget its oldest entry")
	}
	if len(r.seen) != 3 || len(r.order) != 3 {
		t.Errorf("the set holds %d entries, %d in order; bound is 3", len(r.seen), len(r.order))
	}
	// Without a cid, the server's time and the text identify a message.
	a := wire.Msg{From: "guest-1", Time: 42, Text: "hi"}
	r.repeat(a, "e1")
	if !r.repeat(a, "e2") {
		t.Error("a cid-less message kept across a restart is not a repeat")
	}
	if r.repeat(wire.Msg{From: "guest-1", Time: 43, Text: "hi"}, "e2") {
		t.Error("the same text at another time is a repeat")
	}
	if msgKey(wire.Msg{From: "x", Text: "no time, no cid"}) != "" {
		t.Error("a message without time or cid has a key")
	}
}

// FuzzPlainFrame feeds arbitrary frames from a plain server through the
// line splitter and echo matcher: no panic, and every line shown is valid
// UTF-8 without control characters, whatever the server sent.
func FuzzPlainFrame(f *testing.F) {
	for _, s := range []string{"hello", "a\nb\nc", "mine\nother", "\x1b[31mred\x1b[0m", "\xff\xfe", "two\nlines\nmine", "\r\n\r\n", ""} {
		f.Add([]byte(s), "mine")
	}
	f.Fuzz(func(t *testing.T, frame []byte, pending string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := &Client{ctx: ctx, events: make(chan Event, len(frame)+2), nick: "me", seen: newRecent(8)}
		cn := &conn{gen: 1, plain: true}
		if clean, err := wire.CheckText(pending, 0); err == nil {
			c.outbox = []*item{{cid: "c1", text: clean, sentGen: 1}}
		}
		c.handlePlain(cn, frame)
		close(c.events)
		for ev := range c.events {
			m := ev.(Message)
			if !utf8.ValidString(m.Msg.Text) {
				t.Fatalf("invalid UTF-8 shown: %q", m.Msg.Text)
			}
			if strings.ContainsFunc(m.Msg.Text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) {
				t.Fatalf("control character shown: %q", m.Msg.Text)
			}
			if m.Raw && strings.Contains(m.Msg.Text, "\n") {
				t.Fatalf("a raw line holds a newline: %q", m.Msg.Text)
			}
		}
	})
}
