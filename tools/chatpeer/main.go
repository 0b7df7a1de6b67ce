// Command chatpeer is a scripted chat participant for the window tests under Xvfb
// (scripts/e2e.sh, scripts/screenshot.sh): it joins a Parley chat with the
// real client, optionally waits for someone, says its lines, and can wait
// for a message it expects, exiting 0 when it arrives and 1 on timeout.
//
//	go run ./tools/chatpeer -addr 127.0.0.1:2000 -nick carol \
//	    -wait-user bob -expect "hello from bob" -timeout 60s
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

func main() {
	var say, expect lines
	addr := flag.String("addr", "127.0.0.1:2000", "server `address`")
	nick := flag.String("nick", "peer", "`nickname` to join as")
	waitUser := flag.String("wait-user", "", "wait until `nick` is in the room before saying anything")
	flag.Var(&say, "say", "a `line` to send (repeat for several; \\n makes a line break)")
	flag.Var(&expect, "expect", "wait for a message with this exact `text` from someone else (repeatable: all must come)")
	gap := flag.Duration("gap", 300*time.Millisecond, "pause between said lines")
	timeout := flag.Duration("timeout", 60*time.Second, "give up after this long")
	linger := flag.Duration("linger", 0, "stay in the room this long after the rest (or until a signal)")
	floodN := flag.Int("flood", 0, "after the said lines, send this many numbered `messages`")
	floodRate := flag.Int("rate", 1000, "messages per second for -flood")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout+*linger)
	defer cancel()
	if err := run(ctx, *addr, *nick, *waitUser, say, expect, *gap, *timeout, *linger, *floodN, *floodRate); err != nil {
		fmt.Fprintln(os.Stderr, "chatpeer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, nick, waitUser string, say, expect []string, gap, timeout, linger time.Duration, floodN, floodRate int) error {
	deadline := time.After(timeout)
	c, err := dial(ctx, addr, nick)
	if err != nil {
		return err
	}
	defer c.Close()

	present := map[string]bool{}
	want := map[string]bool{}
	for _, e := range expect {
		want[unescape(e)] = true
	}
	// handle applies an event and reports whether it was the last
	// expected message.
	handle := func(ev client.Event) {
		switch ev := ev.(type) {
		case client.Connected:
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
		case client.Disconnected:
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
	if waitUser != "" {
		for !present[wire.FoldNick(waitUser)] {
			if err := next(); err != nil {
				return fmt.Errorf("waiting for %s to join: %w", waitUser, err)
			}
		}
	}
	fmt.Println("ready")
	for i, line := range say {
		if i > 0 {
			pause := time.After(gap)
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
		if _, err := c.Send(unescape(line)); err != nil {
			return fmt.Errorf("sending %q: %w", line, err)
		}
	}
	if floodN > 0 {
		if err := flood(ctx, c, floodN, floodRate); err != nil {
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
	if linger > 0 {
		end := time.After(linger)
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
