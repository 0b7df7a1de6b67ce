package store

import (
	"context"
	"strings"
	"sync"
	"time"

	"parley/net/wire"
)

// Memory is a store that keeps the newest messages in memory only: the
// room's history when history is turned off. Nothing survives the
// process, so every start is a new epoch. Append never fails.
type Memory struct {
	mu    sync.Mutex
	epoch string
	msgs  []wire.Msg // ring, guarded by mu
	head  int        // index of the oldest message
	n     int        // messages held
	last  uint64     // id of the newest message appended
}

// NewMemory returns a memory store that holds the newest size messages.
func NewMemory(size int) *Memory {
	return &Memory{epoch: NewEpoch(), msgs: make([]wire.Msg, max(1, size))}
}

// Load returns a new epoch and whatever was appended since NewMemory,
// the newest recent of them.
func (m *Memory) Load(_ context.Context, recent int, _ time.Time) (State, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := State{Epoch: m.epoch, LastID: m.last}
	st.Recent = m.newestLocked(m.last+1, recent)
	return st, nil
}

// Append adds the entries, dropping the oldest messages beyond the
// store's size.
func (m *Memory) Append(_ context.Context, batch []Entry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range batch {
		if m.n < len(m.msgs) {
			m.msgs[(m.head+m.n)%len(m.msgs)] = e.Msg
			m.n++
		} else {
			m.msgs[m.head] = e.Msg
			m.head = (m.head + 1) % len(m.msgs)
		}
		m.last = e.Msg.ID
	}
	return nil
}

// Before returns up to limit messages with ids below before, the newest
// of them, oldest first.
func (m *Memory) Before(_ context.Context, before uint64, limit int) ([]wire.Msg, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.newestLocked(before, limit), nil
}

// Search returns up to limit messages with ids below before that contain
// every term of q (Terms) as a word prefix, newest first.
func (m *Memory) Search(_ context.Context, q string, before uint64, limit int) ([]wire.Msg, error) {
	terms := Terms(q)
	if len(terms) == 0 {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []wire.Msg
	for i := m.n - 1; i >= 0 && len(out) < limit; i-- {
		msg := m.msgs[(m.head+i)%len(m.msgs)]
		if msg.ID < before && matches(Terms(msg.Text), terms) {
			out = append(out, msg)
		}
	}
	return out, nil
}

// matches reports whether each term starts one of words.
func matches(words, terms []string) bool {
	for _, t := range terms {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// newestLocked returns the newest limit messages with ids below before,
// oldest first.
func (m *Memory) newestLocked(before uint64, limit int) []wire.Msg {
	var out []wire.Msg
	for i := m.n - 1; i >= 0 && len(out) < limit; i-- {
		msg := m.msgs[(m.head+i)%len(m.msgs)]
		if msg.ID < before {
			out = append(out, msg)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Close does nothing: a memory store holds no resources.
func (m *Memory) Close() error { return nil }
