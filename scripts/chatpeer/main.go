// Chatpeer is a scripted chat participant for the window tests under Xvfb
// (scripts/e2e.sh, scripts/screenshot.sh): it joins a Parley chat with the
// real client, optionally waits for someone, says its lines, and can wait
// for a message it expects, exiting 0 when it arrives and 1 on timeout.
//
//	go run ./scripts/chatpeer -addr 127.0.0.1:2000 -nick carol \
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
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout+*linger)
	defer cancel()
	if err := run(ctx, *addr, *nick, *waitUser, say, expect, *gap, *timeout, *linger); err != nil {
		fmt.Fprintln(os.Stderr, "chatpeer:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr, nick, waitUser string, say, expect []string, gap, timeout, linger time.Duration) error {
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
