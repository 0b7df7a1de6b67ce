package server

import "parley/net/wire"

// backlog is a ring of the most recent messages. Ids are consecutive, so
// a message is found by arithmetic on its id.
type backlog struct {
	msgs []wire.Msg
	head int    // index of the oldest message
	n    int    // messages held
	last uint64 // id of the newest message ever added, held or not
}

func newBacklog(size int) *backlog {
	return &backlog{msgs: make([]wire.Msg, size)}
}

// add appends m, whose id must be last+1, dropping the oldest message
// when the ring is full.
func (b *backlog) add(m wire.Msg) {
	if b.n < len(b.msgs) {
		b.msgs[(b.head+b.n)%len(b.msgs)] = m
		b.n++
	} else {
		b.msgs[b.head] = m
		b.head = (b.head + 1) % len(b.msgs)
	}
	b.last = m.ID
}

// first returns the id of the oldest message held, or last+1 when empty.
func (b *backlog) first() uint64 {
	return b.last - uint64(b.n) + 1
}

// get returns the message with id, if the ring still holds it.
func (b *backlog) get(id uint64) (wire.Msg, bool) {
	if b.n == 0 || id < b.first() || id > b.last {
		return wire.Msg{}, false
	}
	return b.msgs[(b.head+int(id-b.first()))%len(b.msgs)], true
}

// since returns copies of the messages with ids above after, oldest first,
// at most maxBytes of them counted roughly as encoded: when the budget
// runs out the oldest are left out. complete is false when messages after
// after are missing, because the ring or the budget no longer holds them.
func (b *backlog) since(after uint64, maxBytes int) (msgs []wire.Msg, complete bool) {
	if after >= b.last {
		return nil, true
	}
	complete = after+1 >= b.first()
	from := after + 1
	if !complete {
		from = b.first()
	}
	// Walk back from the newest message while the budget lasts.
	start, size := b.last+1, 0
	for start > from {
		m, _ := b.get(start - 1)
		size += msgCost(m)
		if size > maxBytes {
			complete = false
			break
		}
		start--
	}
	msgs = make([]wire.Msg, 0, b.last+1-start)
	for id := start; id <= b.last; id++ {
		m, _ := b.get(id)
		msgs = append(msgs, m)
	}
	return msgs, complete
}

// msgCost is the encoded size of m in a welcome's history, with the comma
// that follows it: the budget is in the bytes the welcome will take,
// escaping included (a text full of quotes takes twice its length).
func msgCost(m wire.Msg) int {
	n := len(`{"id":,"ts":,"from":,"text":},`) + digits(m.ID) + digits(uint64(max(m.Time, 0))) +
		wire.QuotedLen(m.From) + wire.QuotedLen(m.Text)
	if m.Time < 0 {
		n += 1 + digits(uint64(-m.Time))
	}
	if m.CID != "" {
		n += len(`,"cid":`) + wire.QuotedLen(m.CID)
	}
	return n
}

// digits returns the number of decimal digits of n.
func digits(n uint64) int {
	d := 1
	for n >= 10 {
		n /= 10
		d++
	}
	return d
}
