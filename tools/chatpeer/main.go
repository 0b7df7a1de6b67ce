// Command chatpeer is a scripted chat participant for the window tests under Xvfb
// (scripts/e2e.sh, scripts/screenshot.sh): it joins a Parley chat with the
// real client, optionally waits for someone, says its lines in the room
// and privately, and can wait for a message it expects, exiting 0 when it
// arrives and 1 on timeout.
//
//	go run ./tools/chatpeer -addr 127.0.0.1:2000 -nick carol \
//	    -wait-user bob -expect "hello from bob" -timeout 60s
//	go run ./tools/chatpeer -addr 127.0.0.1:2000 -nick dave \
//	    -wait-user alice -private "alice:Can I take the screenshots after lunch?"
//
// It prints "ready" once it may speak, "private to NICK: TEXT" when the
// server confirms a private message it sent, "private from NICK: TEXT"
// for each one it receives and "got NICK: TEXT" for each expected message,
// so that a script can wait on its output rather than on the clock.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"parley/net/client"
	"parley/net/wire"
)

// lines is a repeatable string flag.
type lines []string

func (l *lines) String() string     { return strings.Join(*l, "|") }
func (l *lines) Set(s string) error { *l = append(*l, s); return nil }

// step is one thing to say: to the room when to is empty, else privately
// to that nickname.
type step struct{ to, text string }

// script is the steps of the -say and -private flags, in the order they
// were given on the command line: both flags append to the same list.
type script []step

// sayFlag is the -say flag: a line to the room.
type sayFlag struct{ s *script }

// String lists the steps; "" when there are none, which the flag
// package takes for no default.
func (f sayFlag) String() string {
	if f.s == nil {
		return ""
	}
	var b strings.Builder
	for i, st := range *f.s {
		if i > 0 {
			b.WriteString("|")
		}
		if st.to != "" {
			b.WriteString(st.to + ":")
		}
		b.WriteString(st.text)
	}
	return b.String()
}

func (f sayFlag) Set(v string) error {
	*f.s = append(*f.s, step{text: v})
	return nil
}

// privateFlag is the -private flag: NICK:text, said to NICK only.
type privateFlag struct{ s *script }

func (f privateFlag) String() string { return sayFlag(f).String() }

func (f privateFlag) Set(v string) error {
	st, err := parsePrivate(v)
	if err != nil {
		return err
	}
	*f.s = append(*f.s, st)
	return nil
}

// parsePrivate reads NICK:text. A nickname has no colon (wire.CheckNick),
// so the first colon ends it and the text may hold more.
func parsePrivate(v string) (step, error) {
	to, text, ok := strings.Cut(v, ":")
	if !ok {
		return step{}, fmt.Errorf("want NICK:text, got %q", v)
	}
	nick, err := wire.CheckNick(to)
	if err != nil {
		return step{}, fmt.Errorf("nickname %q: %w", to, err)
	}
	if text == "" {
		return step{}, fmt.Errorf("no text after %q", to+":")
	}
	return step{to: nick, text: text}, nil
}

// options are chatpeer's flags after the address and nickname.
type options struct {
	waitUser        string
	steps           script
	expect          []string
	gap             time.Duration
	timeout, linger time.Duration
	floodN          int
	floodRate       int
}

func main() {
	var o options
	var expect lines
	addr := flag.String("addr", "127.0.0.1:2000", "server `address`")
	nick := flag.String("nick", "peer", "`nickname` to join as")
	flag.StringVar(&o.waitUser, "wait-user", "", "wait until `nick` is in the room before saying anything")
	flag.Var(sayFlag{&o.steps}, "say", "a `line` to send to the room (repeat for several; \\n makes a line break)")
	flag.Var(privateFlag{&o.steps}, "private", "a private message, `NICK:text`, sent in order with the -say lines; "+
		"it waits for the server's confirmation and fails if it is refused (repeatable; \\n makes a line break)")
	flag.Var(&expect, "expect", "wait for a message with this exact `text` from someone else (repeatable: all must come)")
	flag.DurationVar(&o.gap, "gap", 300*time.Millisecond, "pause between said lines")
	flag.DurationVar(&o.timeout, "timeout", 60*time.Second, "give up after this long")
	flag.DurationVar(&o.linger, "linger", 0, "stay in the room this long after the rest (or until a signal)")
	flag.IntVar(&o.floodN, "flood", 0, "after the said lines, send this many numbered `messages`")
	flag.IntVar(&o.floodRate, "rate", 1000, "messages per second for -flood")
	flag.Parse()
	o.expect = expect

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout+o.linger)
	defer cancel()
	if err := run(ctx, *addr, *nick, o); err != nil {
		fmt.Fprintln(os.Stderr, "chatpeer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, nick string, o options) error {
	deadline := time.After(o.timeout)
	c, err := dial(ctx, addr, nick)
	if err != nil {
		return err
	}
	defer c.Close()

	present := map[string]bool{}
	want := map[string]bool{}
	for _, e := range o.expect {
		want[unescape(e)] = true
	}
	// answered holds the cids of this peer's private messages the server
	// has answered: nil for an echo (delivered), else the refusal.
	answered := map[string]error{}
	// connected follows the events: a private message needs a live
	// connection (it is not queued like a room line), which Dial's return
	// does not promise until the Connected event.
	connected := false
	handle := func(ev client.Event) {
		switch ev := ev.(type) {
		case client.Connected:
			connected = true
			for _, u := range ev.Welcome.Users {
				present[wire.FoldNick(u.Nick)] = true
			}
		case client.Joined:
			present[wire.FoldNick(ev.Nick)] = true
		case client.Left:
			delete(present, wire.FoldNick(ev.Nick))
		case client.Message:
			if !ev.Own && want[ev.Msg.Text] {
				delete(want, ev.Msg.Text)
				fmt.Printf("got %s: %q\n", ev.Msg.From, ev.Msg.Text)
			}
		case client.Private:
			if ev.Own {
				answered[ev.CID] = nil
				fmt.Printf("private to %s: %q\n", ev.To, ev.Text)
			} else {
				fmt.Printf("private from %s: %q\n", ev.From, ev.Text)
			}
		case client.Failed:
			if ev.CID != "" {
				answered[ev.CID] = ev.Err
			}
		case client.Disconnected:
			connected = false
			fmt.Fprintln(os.Stderr, "chatpeer: disconnected:", ev.Err)
		}
	}
	next := func() error {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				return client.ErrClosed
			}
			handle(ev)
			return nil
		case <-deadline:
			return errors.New("timed out")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if o.waitUser != "" {
		for !present[wire.FoldNick(o.waitUser)] {
			if err := next(); err != nil {
				return fmt.Errorf("waiting for %s to join: %w", o.waitUser, err)
			}
		}
	}
	fmt.Println("ready")
	for i, st := range o.steps {
		if i > 0 {
			pause := time.After(o.gap)
		wait:
			for {
				select {
				case ev, ok := <-c.Events():
					if !ok {
						return client.ErrClosed
					}
					handle(ev)
				case <-pause:
					break wait
				case <-ctx.Done():
					return ctx.Err()
				}
			}
		}
		if st.to == "" {
			if _, err := c.Send(unescape(st.text)); err != nil {
				return fmt.Errorf("sending %q: %w", st.text, err)
			}
			continue
		}
		// A private message is confirmed by its echo or refused (nobody
		// by that name, say): wait for the answer, so that what comes
		// next in the script, and the script's caller reading "private
		// to", knows it was delivered.
		var cid string
		for {
			for !connected {
				if err := next(); err != nil {
					return fmt.Errorf("waiting for a connection to send to %s: %w", st.to, err)
				}
			}
			cid, err = c.SendPrivate(st.to, unescape(st.text))
			if !errors.Is(err, client.ErrNotConnected) {
				break
			}
			connected = false // lost; its Disconnected event is on the way
		}
		if err != nil {
			return fmt.Errorf("sending %q to %s: %w", st.text, st.to, err)
		}
		for {
			if err, ok := answered[cid]; ok {
				if err != nil {
					return fmt.Errorf("private message to %s refused: %w", st.to, err)
				}
				break
			}
			if err := next(); err != nil {
				return fmt.Errorf("waiting for the server to confirm the private message to %s: %w", st.to, err)
			}
		}
	}
	if o.floodN > 0 {
		if err := flood(ctx, c, o.floodN, o.floodRate); err != nil {
			return err
		}
	}
	for len(want) > 0 {
		if err := next(); err != nil {
			missing := make([]string, 0, len(want))
			for w := range want {
				missing = append(missing, fmt.Sprintf("%q", w))
			}
			return fmt.Errorf("waiting for %s: %w", strings.Join(missing, ", "), err)
		}
	}
	if o.linger > 0 {
		end := time.After(o.linger)
		for {
			select {
			case ev, ok := <-c.Events():
				if !ok {
					return nil
				}
				handle(ev)
			case <-end:
				return nil
			case <-ctx.Done():
				return nil
			}
		}
	}
	return nil
}

// flood sends n numbered messages at rate per second, in steps of 10 ms,
// discarding incoming events meanwhile so that the client keeps reading.
func flood(ctx context.Context, c *client.Client, n, rate int) error {
	stop := make(chan struct{})
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for {
			select {
			case _, ok := <-c.Events():
				if !ok {
					return
				}
			case <-stop:
				return
			}
		}
	}()
	defer func() {
		close(stop)
		<-drained
	}()
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	sent := 0
	for sent < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("flood: %d of %d sent: %w", sent, n, ctx.Err())
		case <-tick.C:
		}
		due := min(n, int(time.Since(start).Seconds()*float64(rate)))
		for sent < due {
			_, err := c.Send(fmt.Sprintf("flood message %d of %d: the quick brown fox jumps over the lazy dog", sent+1, n))
			if errors.Is(err, client.ErrOutboxFull) {
				break // the server is behind; try again next tick
			}
			if err != nil {
				return fmt.Errorf("flood: %w", err)
			}
			sent++
		}
	}
	fmt.Printf("flooded %d messages in %s\n", n, time.Since(start).Round(time.Millisecond))
	return nil
}

// dial joins, retrying while the server is not up yet.
func dial(ctx context.Context, addr, nick string) (*client.Client, error) {
	for {
		c, err := client.Dial(ctx, client.Config{Addr: addr, Nick: nick, Agent: "chatpeer",
			Logger: slog.New(slog.DiscardHandler)})
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, client.ErrRefused) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("joining %s: %w", addr, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func unescape(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }
