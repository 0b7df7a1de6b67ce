package server_test

// Rules that no other test pinned: the greeting's exact words, the limits
// of the default configuration, and each bound of the outbound queue on
// its own.

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
	"parley/server"
)

// A plain client's first frame is the teaching chat's greeting, word for
// word. The text is written out here on purpose: comparing wire.Greeting
// with itself would not notice an edit of the constant, and every plain
// client in the wild expects these words.
func TestGreetingText(t *testing.T) {
	_, url := start(t, server.Config{})
	c := dial(t, url, false)
	typ, data, err := c.read()
	if err != nil {
		t.Fatalf("no greeting: %v", err)
	}
	if typ != websocket.TextMessage || string(data) != "Welcome to chat! Type a message" {
		t.Fatalf("first frame: type %d %q, want text %q", typ, data, "Welcome to chat! Type a message")
	}
}

// defaultMaxFrame and defaultMaxText are the documented default read
// limit and text limit (docs/SECURITY.md, "Limits and their defaults"),
// written out rather than taken from the code, which is what is checked.
const (
	defaultMaxFrame = 65536
	defaultMaxText  = 16384
)

// With the default settings a message of 64 KiB and one byte closes its
// connection with 1009, whether one frame carries it, its header alone
// announces it, or a library fragments it, and the witnesses notice
// nothing. A message of exactly 64 KiB is read, then refused as a chat
// text over the 16 KiB text limit, and its sender stays connected.
func TestDefaultFrameLimit(t *testing.T) {
	srv, url := start(t, server.Config{Logger: quietLogger(t)})
	addr := strings.TrimPrefix(url, "ws://")
	w := newWitnesses(t, url)
	w.talk()

	over := []byte("BIG64K " + strings.Repeat("x", defaultMaxFrame+1-len("BIG64K ")))
	exact := over[:defaultMaxFrame]
	w.repeat(t, func(t *testing.T, round int) {
		t.Run("one frame over", func(t *testing.T) {
			r := mustRaw(t, addr, false)
			r.write(rawFrame(bitFin|opText, true, over))
			expectRawClose(t, r, websocket.CloseMessageTooBig)
		})
		t.Run("header over", func(t *testing.T) {
			r := mustRaw(t, addr, false)
			// The header announces one byte over; the payload never comes.
			h := []byte{bitFin | opText, bitMask | 127}
			h = binary.BigEndian.AppendUint64(h, defaultMaxFrame+1)
			r.write(append(h, 1, 2, 3, 4))
			expectRawClose(t, r, websocket.CloseMessageTooBig)
		})
		t.Run("rich message over", func(t *testing.T) {
			p := dialPeer(t, nil, url, fmt.Sprint("big", round), true)
			p.say(t, string(over)) // gorilla sends it in fragments
			expectClose(t, p, websocket.CloseMessageTooBig)
		})
		t.Run("one frame exactly", func(t *testing.T) {
			r := mustRaw(t, addr, false)
			r.write(rawFrame(bitFin|opText, true, exact))
			want := fmt.Sprintf("* not sent: message is too long: %d bytes, the limit is %d",
				defaultMaxFrame, defaultMaxText)
			r.c.SetReadDeadline(time.Now().Add(wait))
			for {
				op, data, err := r.readFrame()
				if err != nil {
					t.Fatalf("after a frame of exactly %d bytes: %v, want %q", defaultMaxFrame, err, want)
				}
				if op == opClose {
					t.Fatalf("a frame of exactly %d bytes closed the connection with %q", defaultMaxFrame, data)
				}
				if op == opText && strings.HasPrefix(string(data), "* not sent") {
					if string(data) != want {
						t.Fatalf("refusal %q, want %q", data, want)
					}
					break
				}
			}
		})
		t.Run("rich message exactly", func(t *testing.T) {
			p := dialPeer(t, nil, url, fmt.Sprint("exact", round), true)
			head, tail := `{"type":"send","cid":"c1","text":"BIG64K `, `"}`
			msg := head + strings.Repeat("y", defaultMaxFrame-len(head)-len(tail)) + tail
			mark := p.in.len()
			p.say(t, msg)
			i := p.in.await(mark, wait, func(r received) bool { _, ok := r.f.(wire.Error); return ok })
			if i < 0 {
				t.Fatalf("no error for a message of exactly %d bytes: %v", len(msg), p.in.err)
			}
			if e := p.in.all()[i].f.(wire.Error); e.Code != wire.CodeTooLong || e.CID != "c1" {
				t.Fatalf("a message of exactly %d bytes: %+v, want too_long for c1", len(msg), e)
			}
		})
	})

	w.checkTalk(t)
	w.checkAfter(t)
	w.never(t, "BIG64K")
	settle(t, srv, 2)
}

// stuckFlood connects a plain client that never reads, then floods the
// room from a plain sender in messages of about 16 KiB, at most two not
// yet echoed, until the server drops the stuck client (and a few more),
// or until limit messages went without it. It returns how many messages
// went before the drop, or -1. The kernel's socket buffers take a few MB
// before the server's queue has to.
func stuckFlood(t *testing.T, srv *server.Server, url string, limit int) int {
	t.Helper()
	stuck := mustRawOpts(t, strings.TrimPrefix(url, "ws://"), rawOpts{rcvbuf: 8 << 10})
	sender := dialPeer(t, nil, url, "flooder", false)
	const size, inFlight = 16<<10 - 64, 2
	pad := strings.Repeat("q", size)
	echoes, dropped := 0, -1
	for i, total := 0, limit; i < total; i++ {
		if err := sender.write(websocket.TextMessage, fmt.Appendf(nil, "QUEUEFLOOD %04d %s", i, pad)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if dropped < 0 && srv.Stats().Evictions > 0 {
			dropped, total = i, i+5
		}
		if i >= inFlight {
			echo := fmt.Sprintf("flooder: QUEUEFLOOD %04d ", i-inFlight)
			echoes = sender.in.await(echoes, wait, func(r received) bool { return strings.HasPrefix(r.raw, echo) })
			if echoes < 0 {
				t.Fatalf("the sender's echo %q did not come", echo)
			}
		}
	}
	if dropped < 0 {
		return -1
	}
	// The stuck client reads at last: the slow notice, then 1008.
	stuck.c.SetReadDeadline(time.Now().Add(wait))
	var last string
	for {
		op, data, err := stuck.readFrame()
		if err != nil {
			t.Fatalf("the stuck client's connection ended without a close frame: %v", err)
		}
		if op == opText {
			last = cut(string(data))
		}
		if op == opClose {
			if code := int(binary.BigEndian.Uint16(data)); code != websocket.ClosePolicyViolation ||
				string(data[2:]) != "slow consumer" || last != "* disconnected: you did not read messages fast enough" {
				t.Fatalf("the stuck client got %q then close %d %q, want the slow notice and 1008 slow consumer",
					last, code, data[2:])
			}
			break
		}
	}
	if n := srv.Stats().Evictions; n != 1 {
		t.Errorf("%d clients dropped, want only the stuck one", n)
	}
	return dropped
}

// stuckConfig keeps every other way of dropping a stuck client out of
// the way (pings, the write timeout, the rate limit), so that only the
// queue's bounds can.
func stuckConfig(t *testing.T) server.Config {
	cfg := secConfig(t)
	cfg.Rate = -1
	cfg.Backlog = 20
	cfg.PingInterval, cfg.PongTimeout = time.Minute, 2*time.Minute
	cfg.WriteTimeout = time.Minute
	return cfg
}

// Each bound of the outbound queue trips on its own: with the other set
// beyond anything the flood here comes near, a client that never reads is
// dropped once its queue would hold more than QueueFrames frames, or more
// than QueueBytes bytes.
func TestQueueBoundsAlone(t *testing.T) {
	for _, tc := range []struct {
		bound              string
		frames, queueBytes int
	}{
		{"frame", 32, 1 << 30},
		{"byte", 1 << 20, 256 << 10},
	} {
		t.Run(tc.bound, func(t *testing.T) {
			cfg := stuckConfig(t)
			cfg.QueueFrames, cfg.QueueBytes = tc.frames, tc.queueBytes
			srv, url := serve(t, cfg)
			const limit = 1500
			n := stuckFlood(t, srv, url, limit)
			if n < 0 {
				t.Fatalf("the stuck client was not dropped by the %s bound (%d frames, %d bytes) after %d messages; stats %+v",
					tc.bound, tc.frames, tc.queueBytes, limit, srv.Stats())
			}
			t.Logf("the stuck client was dropped after %d messages", n)
		})
	}
}
