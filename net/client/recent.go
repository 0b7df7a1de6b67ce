package client

import (
	"hash/fnv"
	"strconv"

	"parley/net/wire"
)

// recent remembers the last messages seen, by sender and client id, and
// the server epoch each was seen in. Message ids start over when a server
// restarts, so after a restart they cannot tell a message already shown
// from a new one; this set can, for the case that matters: a sender
// re-sending, after the restart, a message the old server had already
// broadcast but whose echo the sender never got. It is bounded: the oldest
// entry goes when a new one comes.
type recent struct {
	seen  map[string]string // key → epoch first seen in
	order []string          // ring of keys, oldest at next
	next  int
}

func newRecent(n int) *recent {
	return &recent{seen: make(map[string]string, n), order: make([]string, 0, n)}
}

// msgKey identifies a message across server restarts: the sender's client
// id when there is one, else its server timestamp and text (a server that
// keeps its history on disk resends those unchanged). A message with
// neither has no key.
func msgKey(m wire.Msg) string {
	from := wire.FoldNick(m.From)
	if m.CID != "" {
		return "c\x00" + from + "\x00" + m.CID
	}
	if m.Time == 0 {
		return ""
	}
	h := fnv.New64a()
	h.Write([]byte(m.Text))
	return "t\x00" + from + "\x00" + strconv.FormatInt(m.Time, 36) + "\x00" + strconv.FormatUint(h.Sum64(), 36)
}

// repeat reports whether m was already seen in another epoch than this
// one, and remembers it otherwise. Within one epoch message ids decide.
func (r *recent) repeat(m wire.Msg, epoch string) bool {
	key := msgKey(m)
	if key == "" {
		return false
	}
	if first, ok := r.seen[key]; ok {
		return first != epoch
	}
	if len(r.order) < cap(r.order) {
		r.order = append(r.order, key)
	} else {
		delete(r.seen, r.order[r.next])
		r.order[r.next] = key
		r.next = (r.next + 1) % len(r.order)
	}
	r.seen[key] = epoch
	return false
}
