package client

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"parley/net/wire"
)

// ErrNoHistory: the server keeps no history to page or search (it does
// not list the capability in its welcome).
var ErrNoHistory = errors.New("the server offers no history")

// Page answers History: up to the asked number of messages before the
// given id, oldest first. More is true when older ones are kept.
type Page struct {
	wire.Page
}

// Results answers Search: matching messages, newest first. More is true
// when older matches remain.
type Results struct {
	wire.Results
}

func (Page) event()    {}
func (Results) event() {}

// History asks the server for up to limit messages with ids below before
// (0: the newest), for scrolling back beyond the backlog. It returns the
// request's reference at once; the answer comes as a Page event with that
// Ref, or a Failed event with that Ref. Limit 0 means wire.DefaultPage.
func (c *Client) History(before uint64, limit int) (ref string, err error) {
	return c.ask(wire.CapHistory, func(ref string) wire.Frame {
		return wire.History{Ref: ref, Before: before, Limit: limit}
	})
}

// Search asks the server for the messages that contain every word of q,
// newest first: up to limit of those with ids below before (0: all). The
// answer comes as a Results event with the returned Ref, or a Failed
// event with it.
func (c *Client) Search(q string, before uint64, limit int) (ref string, err error) {
	if len(q) > wire.MaxQuery {
		return "", fmt.Errorf("search: %w (%d bytes, at most %d)", wire.ErrTextLong, len(q), wire.MaxQuery)
	}
	return c.ask(wire.CapSearch, func(ref string) wire.Frame {
		return wire.Search{Ref: ref, Q: q, Before: before, Limit: limit}
	})
}

// ask sends the request make builds, if the server has capability.
func (c *Client) ask(capability string, make func(ref string) wire.Frame) (string, error) {
	c.mu.Lock()
	ok := slices.Contains(c.caps, capability)
	c.refSeq++
	ref := "r" + strconv.FormatUint(c.refSeq, 36)
	c.mu.Unlock()
	if !ok {
		return "", ErrNoHistory
	}
	if err := c.request(make(ref)); err != nil {
		return "", err
	}
	return ref, nil
}
