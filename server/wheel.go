package server

import (
	"sync"
	"time"
)

// wheelSlots is how many groups the peers are pinged in: one group every
// PingInterval/wheelSlots.
const wheelSlots = 16

// wheel pings every peer once per PingInterval from one timer, instead of
// a timer per peer (a runtime timer is about 110 bytes of every idle
// connection). A new peer goes into the group served last, so its first
// ping comes between 15/16 and 16/16 of an interval after it joined.
// The timer runs only while the wheel holds peers.
type wheel struct {
	s     *Server
	every time.Duration

	mu    sync.Mutex
	slots [wheelSlots][]*peer
	pos   int // the slot the next tick serves
	n     int // peers held
	timer *time.Timer
	armed bool
	ticks uint64  // ticks done, their pings queued: a peer added after k ticks is pinged at k+16, k+32, …
	batch []*peer // the tick's copy of its slot; only the tick uses it
}

func (w *wheel) init(s *Server) {
	w.s = s
	w.every = max(s.cfg.PingInterval/wheelSlots, time.Millisecond)
}

// add puts p in the wheel. The caller holds p.mu.
func (w *wheel) add(p *peer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p.wslot != 0 {
		return
	}
	slot := (w.pos + wheelSlots - 1) % wheelSlots
	p.wslot, p.widx = int32(slot+1), int32(len(w.slots[slot]))
	w.slots[slot] = append(w.slots[slot], p)
	w.n++
	if !w.armed {
		w.armed = true
		if w.timer == nil {
			w.timer = time.AfterFunc(w.every, w.tick)
		} else {
			w.timer.Reset(w.every)
		}
	}
}

// remove takes p out of the wheel, if it is in. The caller holds p.mu.
func (w *wheel) remove(p *peer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if p.wslot == 0 {
		return
	}
	slot := p.wslot - 1
	l := w.slots[slot]
	last := len(l) - 1
	l[p.widx] = l[last]
	l[p.widx].widx = p.widx
	l[last] = nil
	w.slots[slot] = l[:last]
	if last == 0 && cap(l) > 64 {
		w.slots[slot] = nil // the room emptied: do not hold its peak
	}
	p.wslot, p.widx = 0, 0
	w.n--
}

// tick pings one slot's peers, then arms the timer for the next slot.
// Arming after the work means ticks never overlap.
func (w *wheel) tick() {
	w.mu.Lock()
	w.batch = append(w.batch[:0], w.slots[w.pos]...)
	w.pos = (w.pos + 1) % wheelSlots
	w.mu.Unlock()
	for _, p := range w.batch {
		p.pingTick()
	}
	clear(w.batch)
	w.mu.Lock()
	w.ticks++
	if w.n > 0 {
		w.timer.Reset(w.every)
	} else {
		w.armed = false
	}
	w.mu.Unlock()
}
