package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"parley/net/wire"
	"parley/server/store"
)

// readTimeout bounds one history or search query.
const readTimeout = 5 * time.Second

// caps is what the server lists in every welcome.
var caps = []string{wire.CapHistory, wire.CapSearch, wire.CapPrivate, wire.CapModeration}

// readable returns the id below which history may be read: messages
// stored but not yet broadcast stay out of pages and results until
// everyone has seen them go by.
func (s *Server) readable(before uint64) uint64 {
	s.mu.Lock()
	next := s.backlog.last + 1
	s.mu.Unlock()
	if before == 0 || before > next {
		return next
	}
	return before
}

// pageLimit clamps a request's limit.
func pageLimit(n int) int {
	switch {
	case n <= 0:
		return wire.DefaultPage
	case n > wire.MaxPage:
		return wire.MaxPage
	}
	return n
}

// badRef checks a request's reference; it answers and returns true if it
// is too long.
func (s *Server) badRef(p *peer, ref string) bool {
	if len(ref) <= wire.MaxRef {
		return false
	}
	s.refuse(p, wire.Error{Code: wire.CodeBadRequest,
		Text: "ref is longer than " + strconv.Itoa(wire.MaxRef) + " bytes"})
	return true
}

// history answers a rich client's request for an older page. It runs on
// the client's reader goroutine and reads the store without the room's
// lock.
func (s *Server) history(p *peer, h wire.History) {
	if s.badRef(p, h.Ref) {
		return
	}
	limit := pageLimit(h.Limit)
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	msgs, err := s.store.Before(ctx, s.readable(h.Before), limit+1)
	if err != nil {
		s.readFailed(p, h.Ref, err)
		return
	}
	pg := wire.Page{Ref: h.Ref, Msgs: msgs}
	if len(msgs) > limit {
		pg.Msgs, pg.More = msgs[1:], true
	}
	if pg.Msgs == nil {
		pg.Msgs = []wire.Msg{}
	}
	p.enqueue(mustJSONFrame(pg))
}

// search answers a rich client's search.
func (s *Server) search(p *peer, q wire.Search) {
	if s.badRef(p, q.Ref) {
		return
	}
	if len(q.Q) > wire.MaxQuery {
		s.refuse(p, wire.Error{Code: wire.CodeTooLong, Ref: q.Ref,
			Text: "a search is at most " + strconv.Itoa(wire.MaxQuery) + " bytes"})
		return
	}
	msgs, more, err := s.find(q.Q, q.Before, pageLimit(q.Limit))
	if err != nil {
		s.readFailed(p, q.Ref, err)
		return
	}
	p.enqueue(mustJSONFrame(wire.Results{Ref: q.Ref, Q: q.Q, Msgs: msgs, More: more}))
}

// find searches the store, newest first.
func (s *Server) find(q string, before uint64, limit int) (msgs []wire.Msg, more bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	msgs, err = s.store.Search(ctx, q, s.readable(before), limit+1)
	if err != nil {
		return nil, false, err
	}
	if len(msgs) > limit {
		msgs, more = msgs[:limit], true
	}
	if msgs == nil {
		msgs = []wire.Msg{}
	}
	return msgs, more, nil
}

// readFailed tells a client that the history could not be read, and logs
// why.
func (s *Server) readFailed(p *peer, ref string, err error) {
	s.log.Error("cannot read the history", "conn", p.id, "err", err)
	p.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeUnavailable, Ref: ref,
		Text: "the history cannot be read right now", RetryMS: storageRetry.Milliseconds()}))
}

// plainResults is how many results /search shows a plain client.
const plainResults = 10

// plainSearch answers a plain client's /search.
func (s *Server) plainSearch(p *peer, q string) {
	notice := func(text string) { p.enqueue(textFrame(wire.PlainNotice(text))) }
	if len(store.Terms(q)) == 0 {
		notice("usage: /search WORDS")
		return
	}
	if len(q) > wire.MaxQuery {
		notice("a search is at most " + strconv.Itoa(wire.MaxQuery) + " bytes")
		return
	}
	msgs, more, err := s.find(q, 0, plainResults)
	if err != nil {
		s.log.Error("cannot read the history", "conn", p.id, "err", err)
		notice("the history cannot be read right now")
		return
	}
	if len(msgs) == 0 {
		notice("nothing found for " + strconv.Quote(wire.CleanText(q)))
		return
	}
	var b strings.Builder
	head := strconv.Itoa(len(msgs)) + " found for " + strconv.Quote(wire.CleanText(q))
	if more {
		head = "the newest " + head
	}
	b.WriteString(head + ", newest first:")
	for _, m := range msgs {
		when := time.UnixMilli(m.Time).UTC().Format("2006-01-02 15:04 UTC")
		line := wire.PlainLine(m.From, m.Text)
		b.WriteString("\n  " + when + " #" + strconv.FormatUint(m.ID, 10) + " " +
			strings.ReplaceAll(line, "\n", "\n  "))
	}
	notice(b.String())
}
