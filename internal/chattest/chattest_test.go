package chattest_test

import (
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"parley/internal/chattest"
)

// echo serves a TCP echo on a killable loopback listener until the test
// ends.
func echo(t *testing.T) *chattest.Killable {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	k := chattest.NewKillable(ln)
	go func() {
		for {
			c, err := k.Accept()
			if err != nil {
				return
			}
			go io.Copy(c, c)
		}
	}()
	t.Cleanup(k.Kill)
	return k
}

// roundTrip writes b and reads it back within d.
func roundTrip(c net.Conn, b string, d time.Duration) (string, error) {
	c.SetDeadline(time.Now().Add(d))
	defer c.SetDeadline(time.Time{})
	if _, err := io.WriteString(c, b); err != nil {
		return "", err
	}
	buf := make([]byte, len(b))
	_, err := io.ReadFull(c, buf)
	return string(buf), err
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readEnd reads until the connection ends, at most d, and returns why.
func readEnd(c net.Conn, d time.Duration) error {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			return err
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Kill resets what the listener accepted: the other side reads a reset,
// not an orderly end, as from a killed process.
func TestKillResets(t *testing.T) {
	k := echo(t)
	c := dial(t, k.Addr().String())
	if got, err := roundTrip(c, "hi", 5*time.Second); err != nil || got != "hi" {
		t.Fatalf("echo: %q, %v", got, err)
	}
	k.Kill()
	if err := readEnd(c, 5*time.Second); !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("after Kill the client read %v, want a reset", err)
	}
}

// The relay passes bytes both ways; a muted direction passes nothing, not
// even the end of the connection; Cut ends every link; Reject and Hold
// act on new connections only.
func TestRelay(t *testing.T) {
	k := echo(t)
	quiet := 300 * time.Millisecond // how long "nothing comes" is watched

	t.Run("passes", func(t *testing.T) {
		r := chattest.NewRelay(t, k.Addr().String())
		c := dial(t, r.Addr())
		if got, err := roundTrip(c, "through", 5*time.Second); err != nil || got != "through" {
			t.Fatalf("through the relay: %q, %v", got, err)
		}
	})
	t.Run("silence", func(t *testing.T) {
		r := chattest.NewRelay(t, k.Addr().String())
		c := dial(t, r.Addr())
		roundTrip(c, "x", 5*time.Second)
		r.Silence(true)
		if _, err := roundTrip(c, "lost", quiet); !isTimeout(err) {
			t.Fatalf("through a silent link: %v, want nothing back", err)
		}
		k.Kill() // the server's end: a silent link does not pass it
		if err := readEnd(c, quiet); !isTimeout(err) {
			t.Fatalf("a silent link passed the end: %v", err)
		}
		r.Cut()
		if err := readEnd(c, 5*time.Second); isTimeout(err) {
			t.Fatal("Cut did not end the link")
		}
	})
	t.Run("mute down", func(t *testing.T) {
		k := echo(t)
		r := chattest.NewRelay(t, k.Addr().String())
		c := dial(t, r.Addr())
		r.MuteDown.Store(true)
		if _, err := roundTrip(c, "one way", quiet); !isTimeout(err) {
			t.Fatalf("the echo came back through a muted direction: %v", err)
		}
		r.MuteDown.Store(false)
		if got, err := roundTrip(c, "back", 5*time.Second); err != nil || got != "back" {
			t.Fatalf("after unmuting: %q, %v", got, err)
		}
	})
	t.Run("reject and hold", func(t *testing.T) {
		k := echo(t)
		r := chattest.NewRelay(t, k.Addr().String())
		r.Reject.Store(true)
		if err := readEnd(dial(t, r.Addr()), 5*time.Second); isTimeout(err) {
			t.Fatal("a rejected connection stayed open")
		}
		r.Reject.Store(false)
		r.Hold.Store(true)
		if _, err := roundTrip(dial(t, r.Addr()), "held", quiet); !isTimeout(err) {
			t.Fatalf("a held connection answered: %v", err)
		}
		chattest.WaitFor(t, "both connections counted", 5*time.Second, func() bool { return r.Accepted.Load() == 2 })
	})
}

// The dialer counts dials, failed ones too, and resets what it dialled.
func TestDialer(t *testing.T) {
	k := echo(t)
	var d chattest.Dialer
	c, err := d.Dial(t.Context(), "tcp", k.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	if _, err := d.Dial(t.Context(), "tcp", closed); err == nil {
		t.Fatal("dialled a closed port")
	}
	if n := d.N.Load(); n != 2 {
		t.Errorf("N = %d, want 2", n)
	}
	d.Reset()
	if _, err := c.Write([]byte("x")); err == nil {
		if _, err := c.Read(make([]byte, 1)); err == nil {
			t.Error("the connection still works after Reset")
		}
	}
}

func TestCountFilter(t *testing.T) {
	list := []string{"alice 1", "bob 1", "alice 2", "alice 1"}
	if n := chattest.Count(list, "alice 1"); n != 2 {
		t.Errorf("Count = %d, want 2", n)
	}
	if got := chattest.Filter(list, "alice "); len(got) != 3 || got[1] != "alice 2" {
		t.Errorf("Filter = %q", got)
	}
}
