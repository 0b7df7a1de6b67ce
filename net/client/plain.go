package client

import (
	"strings"
	"time"
	"unicode/utf8"

	"parley/net/wire"
)

// isGreeting reports whether a plain server's first frame is a greeting
// rather than someone's message: the teaching server's, or anything that
// starts with "welcome".
func isGreeting(data []byte) bool {
	s := string(data)
	return s == wire.Greeting || len(s) <= 200 && !strings.Contains(s, "\n") &&
		strings.HasPrefix(strings.ToLower(s), "welcome")
}

// handlePlain shows a plain server's frame line by line: gorilla's chat
// example joins queued messages with newlines. A run of lines equal to the
// oldest line this client sent (on this connection) is its echo: it
// becomes an Own message and leaves the outbox.
func (c *Client) handlePlain(cn *conn, data []byte) {
	if !utf8.Valid(data) {
		data = []byte(strings.ToValidUTF8(string(data), "\uFFFD"))
	}
	lines := strings.Split(wire.CleanText(string(data)), "\n")
	now := time.Now().UnixMilli()
	for i := 0; i < len(lines); {
		if n, ev, ok := c.plainEcho(cn, lines[i:], now); ok {
			c.emit(ev)
			i += n
			continue
		}
		if strings.TrimSpace(lines[i]) != "" {
			c.emit(Message{Msg: wire.Msg{Time: now, Text: lines[i]}, Raw: true})
		}
		i++
	}
}

// plainEcho checks whether lines start with the echo of the oldest item
// written to this connection: its text as sent, or with newlines turned
// into spaces (gorilla's example does that). It returns how many lines the
// echo spans.
func (c *Client) plainEcho(cn *conn, lines []string, now int64) (int, Message, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, it := range c.outbox {
		if it.sentGen != cn.gen {
			continue
		}
		want := strings.Split(it.text, "\n")
		flat := strings.ReplaceAll(it.text, "\n", " ")
		n := 0
		switch {
		case len(lines) >= len(want) && equalLines(lines[:len(want)], want):
			n = len(want)
		case lines[0] == flat:
			n = 1
		default:
			return 0, Message{}, false
		}
		c.outbox = append(c.outbox[:i], c.outbox[i+1:]...)
		return n, Message{Msg: wire.Msg{Time: now, From: c.nick, Text: it.text, CID: it.cid}, Own: true}, true
	}
	return 0, Message{}, false
}

func equalLines(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// armEcho sets the timer for the oldest line written to this plain
// connection and not yet echoed.
func (c *Client) armEcho(cn *conn, t *time.Timer) {
	if !cn.plain {
		return
	}
	t.Stop()
	wait := c.cfg.PlainEchoWait
	if cn.noEcho {
		wait = 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, it := range c.outbox {
		if it.sentGen == cn.gen {
			t.Reset(max(0, time.Until(it.sentAt.Add(wait))))
			return
		}
	}
}

// echoTimeout gives up waiting for the echo of lines written to a plain
// server more than PlainEchoWait ago: they count as delivered and are
// shown as this user's. From then on this connection does not wait.
func (c *Client) echoTimeout(cn *conn) {
	wait := c.cfg.PlainEchoWait
	if cn.noEcho {
		wait = 0
	}
	now := time.Now()
	var evs []Event
	c.mu.Lock()
	keep := c.outbox[:0]
	for _, it := range c.outbox {
		if it.sentGen == cn.gen && now.Sub(it.sentAt) >= wait {
			evs = append(evs, Message{Msg: wire.Msg{Time: now.UnixMilli(), From: c.nick, Text: it.text, CID: it.cid}, Own: true})
			continue
		}
		keep = append(keep, it)
	}
	clear(c.outbox[len(keep):])
	c.outbox = keep
	c.mu.Unlock()
	if len(evs) > 0 && !cn.noEcho {
		c.log.Info("plain server does not echo our lines; showing them as sent")
		cn.noEcho = true
	}
	for _, ev := range evs {
		c.emit(ev)
	}
}
