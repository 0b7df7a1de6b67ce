package server

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// clock is a settable time for the guess counts.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestGuessesLockOut(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	g := newGuesses(3, 30*time.Second, c.now)
	for i, want := range []int{2, 1} {
		if left, d, ok := g.try("a"); !ok || left != want || d != 0 {
			t.Fatalf("guess %d: left %d, lock-out %v, ok %v; want %d left", i+1, left, d, ok, want)
		}
	}
	// The third wrong guess starts the lock-out; each after it doubles it.
	for i, want := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
		if _, d, ok := g.try("a"); !ok || d != want {
			t.Fatalf("wrong guess %d: lock-out %v, ok %v; want %v", 3+i, d, ok, want)
		}
		if ok, retry := g.locked("a"); ok || retry != want {
			t.Fatalf("locked = %v, %v; want locked for %v", ok, retry, want)
		}
		if _, retry, ok := g.try("a"); ok || retry != want {
			t.Fatalf("a guess while locked out: ok %v, retry %v", ok, retry)
		}
		c.t = c.t.Add(want)
	}
	if ok, _ := g.locked("b"); !ok {
		t.Fatal("another address is locked out")
	}
	// The doubling stops at maxLockout.
	for range 20 {
		_, d, _ := g.try("a")
		if d > maxLockout {
			t.Fatalf("lock-out %v over %v", d, maxLockout)
		}
		c.t = c.t.Add(d)
	}
	// A right password forgets the count.
	g.try("a")
	g.right("a")
	if left, _, _ := g.try("a"); left != 2 {
		t.Fatalf("after the right password, %d left, want 2", left)
	}
	// So does an hour without a wrong one.
	g.try("a")
	c.t = c.t.Add(guessMemory + time.Second)
	if left, _, _ := g.try("a"); left != 2 {
		t.Fatalf("after an hour, %d left, want 2", left)
	}
}

// Many addresses cannot grow the table past its bound, nor push an
// address's count out of it to reset it.
func TestGuessesBounded(t *testing.T) {
	c := &clock{t: time.Unix(1e9, 0)}
	g := newGuesses(2, time.Minute, c.now)
	g.limit = 16
	g.try("attacker")
	g.try("attacker")
	for i := range 1000 {
		g.try("10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256))
	}
	if n := g.size(); n != g.limit {
		t.Fatalf("%d addresses counted, want the bound %d", n, g.limit)
	}
	if ok, _ := g.locked("attacker"); ok {
		t.Fatal("the attacker's lock-out was pushed out of the table")
	}
	// The addresses past the bound share one count: it is locked out.
	if ok, _ := g.locked("192.0.2.1"); ok {
		t.Fatal("an address past the bound is not locked out after 984 wrong guesses among them")
	}
	// Stale counts make room again.
	c.t = c.t.Add(guessMemory + maxLockout)
	if left, _, ok := g.try("192.0.2.1"); !ok || left != 1 {
		t.Fatalf("after the counts went stale: left %d, ok %v", left, ok)
	}
	if n := g.size(); n != 1 {
		t.Fatalf("%d addresses counted after the stale ones went, want 1", n)
	}
}

func TestGuessKey(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.7:4000", "192.0.2.7"},
		{"[::ffff:192.0.2.7]:4000", "192.0.2.7"},
		{"[2001:db8:1:2:aaaa::1]:4000", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::9%eth0]:4000", "2001:db8:1:2::/64"},
		{"127.0.0.1:1", "127.0.0.1"},
	} {
		addr, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := guessKey(addr); got != tc.want {
			t.Errorf("guessKey(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
