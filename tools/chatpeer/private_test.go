package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"slices"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/server"
)

// serve runs a real server on loopback for one test.
func serve(t *testing.T) string {
	t.Helper()
	s := server.New(server.Config{Logger: chattest.Logger(t, slog.LevelInfo).With("side", "server")})
	return chattest.Serve(t, s, chattest.Options{Closed: server.ErrClosed}).Addr
}

// said is what a recorder saw from one sender, in order: room lines as
// they are, private ones prefixed with "private:".
func said(r *chattest.Recorder, from string) []string {
	var out []string
	for _, ev := range r.Events() {
		switch ev := ev.(type) {
		case client.Message:
			if ev.Msg.From == from {
				out = append(out, ev.Msg.Text)
			}
		case client.Private:
			if !ev.Own && ev.From == from {
				out = append(out, "private:"+ev.Text)
			}
		}
	}
	return out
}

// The -say and -private flags make one script in command-line order, and
// run says it in that order: the private line reaches its addressee only,
// between the room lines around it.
func TestPrivateInOrderWithSay(t *testing.T) {
	var o options
	fs := flag.NewFlagSet("chatpeer", flag.ContinueOnError)
	fs.Var(sayFlag{&o.steps}, "say", "")
	fs.Var(privateFlag{&o.steps}, "private", "")
	if err := fs.Parse([]string{"-say", "one", "-private", "alice:two: with a colon", "-say", `three\nlines`}); err != nil {
		t.Fatal(err)
	}
	want := script{{text: "one"}, {to: "alice", text: "two: with a colon"}, {text: `three\nlines`}}
	if !slices.Equal(o.steps, want) {
		t.Fatalf("steps = %+v, want %+v", o.steps, want)
	}

	addr := serve(t)
	_, alice := chattest.Dial(t, chattest.ClientConfig(t, addr, "alice"))
	_, bob := chattest.Dial(t, chattest.ClientConfig(t, addr, "bob"))
	o.waitUser = "alice"
	o.gap = 10 * time.Millisecond
	o.timeout = 10 * time.Second
	// dave stays until alice says goodbye, which she does once she has his
	// last line: a peer that left at once could lose what it had queued.
	o.expect = []string{"bye dave"}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- run(ctx, addr, "dave", o) }()

	last := "three\nlines"
	chattest.WaitFor(t, "alice to get dave's last line", 5*time.Second, func() bool { return alice.Count(last) == 1 })
	alice.Say(t, "bye dave")
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := said(alice, "dave"), []string{"one", "private:two: with a colon", last}; !slices.Equal(got, want) {
		t.Errorf("alice got %q from dave, want %q", got, want)
	}
	// The server sends bob's frames in order: once he has the last line,
	// a private line sent to him by mistake would have come before it.
	chattest.WaitFor(t, "bob to get dave's last line", 5*time.Second, func() bool { return bob.Count(last) == 1 })
	if got, want := said(bob, "dave"), []string{"one", last}; !slices.Equal(got, want) {
		t.Errorf("bob got %q from dave, want %q", got, want)
	}
}

// A private message the server refuses fails the run with the server's
// reason, rather than passing for delivered.
func TestPrivateRefused(t *testing.T) {
	addr := serve(t)
	o := options{
		steps:   script{{to: "nobody", text: "hello?"}},
		gap:     10 * time.Millisecond,
		timeout: 10 * time.Second,
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	err := run(ctx, addr, "dave", o)
	if !errors.Is(err, client.ErrNoSuchNick) {
		t.Fatalf("run = %v, want %v", err, client.ErrNoSuchNick)
	}
}

func TestParsePrivate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want step
		bad  bool
	}{
		{in: "alice:hi", want: step{to: "alice", text: "hi"}},
		{in: "alice:a: b", want: step{to: "alice", text: "a: b"}},
		{in: " alice :hi", want: step{to: "alice", text: "hi"}},
		{in: "alice", bad: true},
		{in: "alice:", bad: true},
		{in: ":hi", bad: true},
		{in: "a b:hi", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parsePrivate(tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("parsePrivate(%q) = %+v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("parsePrivate(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
			}
		})
	}
}
