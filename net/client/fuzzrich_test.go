package client

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
)

// FuzzRichFrames feeds arbitrary frames from a rich server, one after
// another, through the client's dispatch: decoding, message acceptance
// and echo matching, errors (rate limits, duplicates, refusals), renames
// and goodbyes. Nothing may panic; the outbox only shrinks; each item that
// leaves it is reported, as delivered or as failed (that, once); no
// message id is shown twice, but for echoes of pending items, which are
// always taken; the last message id seen never goes back.
func FuzzRichFrames(f *testing.F) {
	sep := []byte{0xfe} // never valid in JSON text, so frames split on it
	seeds := [][]string{
		{`{"type":"msg","id":1,"ts":5,"from":"me","text":"hi","cid":"c1"}`, `{"type":"msg","id":1,"from":"me","text":"hi","cid":"c1"}`},
		{`{"type":"error","code":"duplicate","cid":"c2","id":9}`, `{"type":"error","code":"duplicate","cid":"c2","id":9}`},
		{`{"type":"error","code":"rate_limited","cid":"c1","retry_ms":-5}`, `{"type":"error","code":"too_long","cid":"c3"}`},
		{`{"type":"rename","nick":"me","to":"you"}`, `{"type":"msg","id":2,"from":"you","text":"x","cid":"c2"}`},
		{`{"type":"msg","id":18446744073709551615,"from":"x","text":"big"}`, `{"type":"msg","id":0,"from":"x","text":"zero"}`},
		{`{"type":"bye","reason":"ended"}`, `{"type":"future","x":1}`, `not json`, `{"type":"notice","text":"\u001b[31m"}`},
	}
	for _, s := range seeds {
		var in [][]byte
		for _, fr := range s {
			in = append(in, []byte(fr))
		}
		f.Add(bytes.Join(in, sep))
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		frames := bytes.Split(input, sep)
		if len(frames) > 64 {
			frames = frames[:64]
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		c := &Client{ctx: ctx, log: slog.New(slog.DiscardHandler), events: make(chan Event, len(frames)+1), nick: "me",
			nicks: map[string]bool{"me": true}, seen: newRecent(8), wake: make(chan struct{}, 1),
			cidPrefix: "c", epoch: "e"}
		pending := map[string]bool{}
		for _, cid := range []string{"c1", "c2", "c3"} {
			c.outbox = append(c.outbox, &item{cid: cid, text: "text of " + cid, sentGen: 1})
			pending[cid] = true
		}
		var last uint64
		for _, fr := range frames {
			c.handleRich(fr)
			if c.lastID < last {
				t.Fatalf("last id went back from %d to %d after %q", last, c.lastID, fr)
			}
			last = c.lastID
		}
		close(c.events)
		if len(c.outbox) > 3 {
			t.Fatalf("the outbox grew to %d", len(c.outbox))
		}
		still := map[string]bool{}
		for _, it := range c.outbox {
			still[it.cid] = true
		}
		reported := map[string]int{}
		failed := map[string]int{}
		ids := map[uint64]int{}
		for ev := range c.events {
			switch ev := ev.(type) {
			case Message:
				if ev.Own && pending[ev.Msg.CID] {
					reported[ev.Msg.CID]++
					continue // an echo is always taken
				}
				if ev.Msg.ID != 0 {
					if ids[ev.Msg.ID]++; ids[ev.Msg.ID] > 1 {
						t.Fatalf("message %d shown twice", ev.Msg.ID)
					}
				}
			case Failed:
				if ev.CID != "" && !pending[ev.CID] {
					t.Fatalf("failure reported for %q, which was never pending", ev.CID)
				}
				if failed[ev.CID]++; ev.CID != "" && failed[ev.CID] > 1 {
					t.Fatalf("%s reported failed twice", ev.CID)
				}
				reported[ev.CID]++
			}
		}
		// A message without an id (which no server of this protocol sends)
		// may be shown again when repeated: ids decide what is new.
		for cid := range pending {
			switch {
			case still[cid] && reported[cid] > 0:
				t.Fatalf("%s is pending but was reported %d times", cid, reported[cid])
			case !still[cid] && reported[cid] == 0:
				t.Fatalf("%s left the outbox and was never reported", cid)
			}
		}
	})
}
