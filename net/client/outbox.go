package client

import (
	"fmt"
	"strconv"
	"time"

	"parley/net/wire"
)

// The outbox: what Send accepted and the server has not yet confirmed.
// Each connection's writer sends the items it has not sent (conn.go);
// an echo or a duplicate answer takes an item out (rich.go).

// Pending is a message in the outbox: accepted by Send, not yet delivered.
type Pending struct {
	CID    string
	Text   string
	Queued time.Time
	// Sent is true once it was written to the current connection; it
	// stays pending until the server's echo comes back.
	Sent bool
}

// item is an outbox entry.
type item struct {
	cid, text string
	queued    time.Time
	// sentGen is the connection it was last written to (0: none), so that
	// each new connection writes every undelivered item once.
	sentGen uint64
	sentAt  time.Time
	// notBefore delays a re-send the server refused as too fast.
	notBefore time.Time
}

// Send validates text against the server's limits (errors wrap
// wire.ErrTextEmpty, wire.ErrTextLong or wire.ErrTextInvalid), queues it
// in the outbox and returns its client id at once, connected or not.
// The outbox is delivered in order, each message exactly once: it stays
// pending until the server's echo, a Message with Own set and the same
// CID, comes back, and is written again after every reconnect until then.
func (c *Client) Send(text string) (cid string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return "", ErrClosed
	}
	if c.stopped != nil {
		return "", c.stopped
	}
	clean, err := wire.CheckText(text, c.limits.MaxText)
	if err != nil {
		return "", err
	}
	if len(c.outbox) >= c.cfg.OutboxLimit {
		return "", fmt.Errorf("%w (%d)", ErrOutboxFull, len(c.outbox))
	}
	c.cidSeq++
	cid = c.cidPrefix + strconv.FormatUint(c.cidSeq, 36)
	c.outbox = append(c.outbox, &item{cid: cid, text: clean, queued: time.Now()})
	c.wakeWriter()
	return cid, nil
}

// wakeWriter tells the writer to look at the outbox. It never blocks: one
// pending wake-up is as good as many.
func (c *Client) wakeWriter() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Pending lists the undelivered messages, oldest first.
func (c *Client) Pending() []Pending {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]Pending, len(c.outbox))
	for i, it := range c.outbox {
		out[i] = Pending{CID: it.cid, Text: it.text, Queued: it.queued,
			Sent: c.cur != nil && it.sentGen == c.cur.gen}
	}
	return out
}
