package ui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"parley/net/client"
	"parley/net/wire"
)

// chatClient is what the window needs of a connection; *client.Client
// has it.
type chatClient interface {
	Events() <-chan client.Event
	Send(text string) (string, error)
	SetNick(nick string) error
	SetStatus(p wire.Presence) error
	Reconnect()
	Nick() string
	Plain() bool
	Limits() wire.Limits
	Close() error
}

// session is one joined chat: a client and the goroutine that drains its
// events (pump). That goroutine hands them to a batcher, which applies
// them on the UI goroutine (applyBatch) at most once per frame.
type session struct {
	u    *UI
	c    chatClient
	addr string

	// Set on the UI goroutine only.
	welcome   wire.Welcome
	plain     bool
	connected bool
	stopped   bool          // the client gave up reconnecting
	ended     string        // why, for the status bar, once stopped
	retry     time.Duration // next attempt in, while disconnected
	retryAt   time.Time     // when the next attempt starts
	ticking   bool          // a countdown tick is scheduled
	dropped   bool          // a drop was reported since the last connect
	backlog   int           // backlog messages still to come
	away      bool          // the server confirmed the user as away
	security  string        // what noteSecurity last said
	scroll    scrollback    // paging back and search (scrollback.go)
	saved     savedShown    // the saved chat shown before connecting (savedchat.go)

	// batch carries the client's events from pump to the UI goroutine
	// (batch.go).
	batch *batcher[client.Event]
	done  chan struct{} // closed when pump ends
}

// newSession starts draining c's events into the window.
func newSession(u *UI, c chatClient, addr string) *session {
	s := &session{u: u, c: c, addr: addr, done: make(chan struct{})}
	s.batch = newBatcher(u.do, s.applyBatch, s.logLoad)
	go s.pump()
	return s
}

// pump is the one goroutine reading the client's events. It never touches
// the UI: it hands them to the batcher.
func (s *session) pump() {
	defer close(s.done)
	for ev := range s.c.Events() {
		s.batch.add(ev)
	}
}

// applyBatch shows a batch of events on the UI goroutine, then refreshes
// the list and the window state once. It reports false for the events of
// a session the user already left, which it drops.
func (s *session) applyBatch(batch []client.Event) bool {
	if s.u.sess != s {
		return false
	}
	stateChanged := false
	for _, ev := range batch {
		if s.apply(ev) {
			stateChanged = true
		}
	}
	s.u.msgs.flush()
	s.u.users.flush()
	if len(batch) > 0 {
		s.u.relax.touch()
	}
	if stateChanged {
		s.u.updateState()
	} else {
		s.u.updateTitle()
	}
	return true
}

// logLoad logs the batcher's load at debug level, with the window's
// memory.
func (s *session) logLoad(l batchLoad) {
	if !s.u.logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	mem := readMemory()
	s.u.logger.Debug("ui load", "flushes", l.flushes, "events", l.values,
		"max_flush", l.maxWork.Round(time.Microsecond), "max_delay", l.maxDelay.Round(time.Microsecond),
		"messages", s.u.msgs.entries.Len(), "lines", s.u.msgs.lines.Len(),
		"heap_mib", mem.goHeap>>20, "gc", mem.gcs,
		"rss_mib", mem.rss>>20, "go_held_mib", mem.goHeld>>20, "c_used_mib", mem.cUsed>>20)
}

// close ends the connection; the pump ends with the events channel.
func (s *session) close() {
	done := s.done
	go func() {
		s.c.Close()
		<-done
	}()
}

func (s *session) room() string {
	if s.welcome.Room != "" {
		return s.welcome.Room
	}
	if s.plain {
		return "plain chat"
	}
	return "Parley"
}

// stateWord is the connection state for the title.
func (s *session) stateWord() string {
	switch {
	case s.stopped:
		return "disconnected"
	case s.connected:
		return "connected"
	case s.retry > 0:
		return "reconnecting…"
	}
	return "connecting…"
}

// describe is the connection state for the status bar.
func (s *session) describe() string {
	nick := s.c.Nick()
	switch {
	case s.stopped && s.ended != "":
		return s.ended
	case s.stopped:
		return "Disconnected from " + s.addr
	case s.connected && s.plain:
		return fmt.Sprintf("Connected to %s (plain-text server) as %s", s.addr, nick)
	case s.connected:
		return fmt.Sprintf("In %s at %s as %s", s.room(), s.addr, nick)
	case s.retry > 0:
		if left := s.retryAt.Sub(s.u.now()); left >= 500*time.Millisecond {
			return fmt.Sprintf("Connection lost. Reconnecting to %s in %s…", s.addr, roundDur(left))
		}
		return fmt.Sprintf("Connection lost. Trying to reach %s…", s.addr)
	}
	return "Connecting to " + s.addr + "…"
}

func roundDur(d time.Duration) string {
	if d < time.Second {
		return "less than a second"
	}
	secs := int(d.Round(time.Second) / time.Second)
	if secs == 1 {
		return "1 second"
	}
	return fmt.Sprintf("%d seconds", secs)
}

// tick counts the wait for the next reconnect attempt down in the status
// bar, once a second until the connection is back or given up: a wait
// of 20 seconds that never changes looks like a hang.
func (s *session) tick() {
	if s.ticking {
		return
	}
	s.ticking = true
	time.AfterFunc(time.Second, func() {
		s.u.do(func() {
			s.ticking = false
			if s.u.sess != s || s.connected || s.stopped || s.retry == 0 {
				return
			}
			s.u.status.SetText(s.describe())
			s.tick()
		})
	})
}

// errText is an error's message for people: sentence case, no trailing
// full stop (the caller adds one).
func errText(err error) string {
	if err == nil {
		return "connection closed"
	}
	return strings.TrimRight(err.Error(), ".")
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
