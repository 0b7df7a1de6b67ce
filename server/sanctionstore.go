package server

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"parley/net/wire"
	"parley/server/store"
)

// SanctionStore is a Store that also keeps the bans and mutes in force,
// so that a restarted server still enforces them. It is optional: with a
// Store that lacks it (store.Memory, a server with history turned off),
// sanctions live in memory and end with the process. store.DB has it.
//
// Like Store's, its methods are never called with the server's lock held.
type SanctionStore interface {
	// LoadSanctions returns the sanctions in force at now, and may forget
	// the others.
	LoadSanctions(ctx context.Context, now time.Time) ([]store.Sanction, error)
	// SaveSanctions replaces the stored sanctions with all, durably when
	// it returns nil.
	SaveSanctions(ctx context.Context, all []store.Sanction) error
}

// sanctionSaver writes the room's sanctions to a SanctionStore after each
// change, outside s.mu. Saves are serialised, and each writes the newest
// set, so that two moderators acting at once never leave the older set on
// disk.
type sanctionSaver struct {
	to    SanctionStore // nil: sanctions are memory only
	mu    sync.Mutex    // serialises saves; guards saved
	saved uint64        // the version last written
}

// saveTimeout bounds one save of the sanctions.
const saveTimeout = 10 * time.Second

// loadSanctions takes up the sanctions st keeps, if it keeps any, at
// Open: expired ones are left out.
func (s *Server) loadSanctions(ctx context.Context, st Store, now time.Time) error {
	ss, ok := st.(SanctionStore)
	if !ok {
		return nil
	}
	all, err := ss.LoadSanctions(ctx, now)
	if err != nil {
		return fmt.Errorf("server: loading bans and mutes: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mod.saver.to = ss
	for _, x := range all {
		b, ok := fromStored(x)
		if !ok || !now.Before(b.until) || len(s.mod.sanctions) >= maxSanctions {
			continue
		}
		s.mod.sanctions = append(s.mod.sanctions, b)
		if b.kind == wire.ActMute {
			s.mod.mutes.Add(1)
		}
	}
	if n := len(s.mod.sanctions); n > 0 {
		s.log.Info("bans and mutes taken up from the store", "count", n)
	}
	return nil
}

// saveSanctions writes the sanctions to the store if they changed since
// the last save. A failure is logged: the sanctions stay in force in
// memory, and the next change tries again.
func (s *Server) saveSanctions() {
	sv := &s.mod.saver
	if sv.to == nil {
		return
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	s.mu.Lock()
	v := s.mod.version
	if v == sv.saved {
		s.mu.Unlock()
		return
	}
	all := make([]store.Sanction, 0, len(s.mod.sanctions))
	for _, b := range s.mod.sanctions {
		all = append(all, toStored(b))
	}
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
	defer cancel()
	if err := sv.to.SaveSanctions(ctx, all); err != nil {
		s.log.Error("saving bans and mutes failed: they hold until the server stops", "err", err)
		return
	}
	sv.saved = v
}

func toStored(b sanction) store.Sanction {
	x := store.Sanction{Kind: string(b.kind), Nick: b.fold, Session: b.key, Until: b.until, Reason: b.reason, By: b.by}
	if b.addr.IsValid() {
		x.Addr = b.addr.String()
	}
	return x
}

// fromStored is the sanction x describes; ok is false for a row this
// server cannot use (an unknown kind, a bad address, no key at all).
func fromStored(x store.Sanction) (b sanction, ok bool) {
	b = sanction{kind: wire.Action(x.Kind), fold: x.Nick, key: x.Session, until: x.Until, reason: x.Reason, by: x.By}
	if b.kind != wire.ActBan && b.kind != wire.ActMute {
		return b, false
	}
	if x.Addr != "" {
		a, err := netip.ParseAddr(x.Addr)
		if err != nil {
			return b, false
		}
		b.addr = a
	}
	return b, b.fold != "" || b.key != "" || b.addr.IsValid()
}
