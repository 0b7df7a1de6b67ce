package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"parley/net/wire"
	"parley/server"
)

func msgIDs(msgs []wire.Msg) []uint64 {
	out := make([]uint64, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func span(from, to uint64) []uint64 {
	var out []uint64
	for id := from; id <= to; id++ {
		out = append(out, id)
	}
	return out
}

// Older pages and search, from a store that holds more than the backlog,
// and from memory when history is off.
func TestHistoryAndSearchFrames(t *testing.T) {
	for _, mode := range []string{"sqlite", "memory"} {
		t.Run(mode, func(t *testing.T) {
			cfg := server.Config{Backlog: 10, Rate: -1}
			var url string
			if mode == "sqlite" {
				url = open(t, cfg, openDB(t, t.TempDir())).url
			} else {
				_, url = start(t, cfg)
			}
			a, w := rich(t, url, "alice")
			if !slices.Contains(w.Caps, wire.CapHistory) || !slices.Contains(w.Caps, wire.CapSearch) {
				t.Fatalf("welcome caps %v", w.Caps)
			}
			for i := 1; i <= 40; i++ {
				text := fmt.Sprint("message ", i)
				if i%10 == 3 {
					text = fmt.Sprintf("the Link is https://example.com/%d", i)
				}
				a.send(wire.Send{Text: text})
				next[wire.Msg](a)
			}
			b, bw := rich(t, url, "bob")
			if first := bw.History[0].ID; first != 31 {
				t.Fatalf("backlog starts at %d, want 31", first)
			}
			// Scrolling back from the backlog's first message.
			b.send(wire.History{Ref: "h1", Before: 31, Limit: 15})
			pg := next[wire.Page](b)
			if mode == "memory" {
				// Memory holds the backlog only: nothing older.
				if pg.Ref != "h1" || len(pg.Msgs) != 0 || pg.More {
					t.Fatalf("memory page %+v, want empty", pg)
				}
				return
			}
			if pg.Ref != "h1" || !slices.Equal(msgIDs(pg.Msgs), span(16, 30)) || !pg.More {
				t.Fatalf("page %q %v more %v, want h1 16..30 and more", pg.Ref, msgIDs(pg.Msgs), pg.More)
			}
			b.send(wire.History{Ref: "h2", Before: 16, Limit: 500})
			if pg := next[wire.Page](b); !slices.Equal(msgIDs(pg.Msgs), span(1, 15)) || pg.More {
				t.Fatalf("last page %v more %v, want 1..15 and no more", msgIDs(pg.Msgs), pg.More)
			}
			b.send(wire.History{Ref: "h3"})
			if pg := next[wire.Page](b); !slices.Equal(msgIDs(pg.Msgs), span(1, 40)) {
				t.Fatalf("newest page %v, want 1..40", msgIDs(pg.Msgs))
			}
			b.send(wire.Search{Ref: "s1", Q: "LINK exam", Limit: 2})
			r := next[wire.Results](b)
			if r.Ref != "s1" || r.Q != "LINK exam" || !slices.Equal(msgIDs(r.Msgs), []uint64{33, 23}) || !r.More {
				t.Fatalf("results %+v, want 33 and 23 and more", r)
			}
			b.send(wire.Search{Ref: "s2", Q: "link", Before: 23})
			if r := next[wire.Results](b); !slices.Equal(msgIDs(r.Msgs), []uint64{13, 3}) || r.More {
				t.Fatalf("older results %v, want 13 and 3", msgIDs(r.Msgs))
			}
			b.send(wire.Search{Ref: "s3", Q: `"unbalanced OR NEAR(`})
			if r := next[wire.Results](b); len(r.Msgs) != 0 {
				t.Fatalf("operators searched as words found %v", msgIDs(r.Msgs))
			}
		})
	}
}

// A request's reference and query are bounded; refusals name the ref.
func TestHistoryFrameLimits(t *testing.T) {
	_, url := start(t, server.Config{})
	a, _ := rich(t, url, "alice")
	a.send(wire.History{Ref: strings.Repeat("r", wire.MaxRef+1)})
	if e := next[wire.Error](a); e.Code != wire.CodeBadRequest {
		t.Fatalf("long ref: %+v", e)
	}
	a.send(wire.Search{Ref: "q", Q: strings.Repeat("w ", wire.MaxQuery)})
	if e := next[wire.Error](a); e.Code != wire.CodeTooLong || e.Ref != "q" {
		t.Fatalf("long query: %+v", e)
	}
	a.send(wire.Search{Ref: "ok", Q: "   "})
	if r := next[wire.Results](a); r.Ref != "ok" || r.Msgs == nil || len(r.Msgs) != 0 {
		t.Fatalf("empty query: %+v", r)
	}
}

// A plain client searches with /search.
func TestPlainSearch(t *testing.T) {
	_, url := start(t, server.Config{})
	p := plain(t, url)
	p.say("the link is https://example.com")
	p.text()
	p.say("something else")
	p.text()
	p.say("/search LINK")
	got := p.text()
	if !strings.HasPrefix(got, `* 1 found for "LINK", newest first:`) ||
		!strings.Contains(got, " UTC #1 guest-1: the link is https://example.com") {
		t.Fatalf("/search answered %q", got)
	}
	p.say("/search nothinglikethis")
	if got := p.text(); got != `* nothing found for "nothinglikethis"` {
		t.Fatalf("/search with no match: %q", got)
	}
	p.say("/search")
	if got := p.text(); got != "* usage: /search WORDS" {
		t.Fatalf("/search alone: %q", got)
	}
}
