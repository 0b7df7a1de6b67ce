package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/wire"
	"parley/server/store"
)

// crashKills is how many times TestCrashKill kills the server.
const crashKills = 12

// The headless server is killed with SIGKILL at random moments while
// several clients flood it, and restarted on the same data folder each
// time. In the end every message each client sent is in the history
// exactly once, those whose echo came back included, and every client
// saw every message once, in order, resuming after each kill in the same
// epoch. A client that was away while more than the backlog went by is
// told so (gap) and fetches the rest with History: that too must give
// every missing message once.
func TestCrashKill(t *testing.T) {
	bin := os.Getenv("PARLEY_SERVER")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "parley-server")
		build := exec.Command("go", "build", "-tags", "nogui", "-o", bin, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building the server: %v\n%s", err, out)
		}
	}
	data := t.TempDir()
	addr := freeAddr(t)
	srv := startServer(t, bin, addr, data)
	defer func() { srv.Process.Kill(); srv.Wait() }()

	const senders = 4
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var sending, reading sync.WaitGroup
	stop := make(chan struct{})
	total := make(chan uint64, senders)
	results := make([]*flooder, senders)
	for i := range senders {
		c, err := client.Dial(ctx, client.Config{Addr: addr, Nick: fmt.Sprint("flood", i),
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		f := &flooder{c: c, echoed: map[string]uint64{}, sent: map[string]bool{}, seen: map[uint64]int{},
			filling: map[string]span{}}
		results[i] = f
		sending.Add(1)
		reading.Add(1)
		go func() { defer reading.Done(); f.run(ctx, stop, &sending, total) }()
	}

	// Kill and restart while they flood.
	for k := range crashKills {
		time.Sleep(time.Duration(30+rand.IntN(250)) * time.Millisecond)
		srv.Process.Signal(syscall.SIGKILL)
		srv.Wait()
		srv = startServer(t, bin, addr, data)
		t.Logf("kill %d: restarted", k+1)
	}
	close(stop)
	sending.Wait()
	var n uint64
	for _, f := range results {
		n += uint64(len(f.sent))
	}
	for range senders {
		total <- n
	}
	reading.Wait()
	for _, f := range results {
		f.c.Close()
		if f.err != nil {
			t.Fatal(f.err)
		}
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("server after SIGTERM: %v", err)
	}

	db, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all, err := db.Before(context.Background(), 1<<62, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for i, m := range all {
		if m.ID != uint64(i+1) {
			t.Fatalf("history ids not consecutive at %d: id %d", i, m.ID)
		}
		count[m.From+"/"+m.CID]++
	}
	if uint64(len(all)) != n {
		t.Errorf("history holds %d messages, want the %d sent", len(all), n)
	}
	t.Logf("%d messages from %d clients over %d kills", n, senders, crashKills)
	for i, f := range results {
		nick := fmt.Sprint("flood", i)
		for cid := range f.sent {
			if n := count[nick+"/"+cid]; n != 1 {
				t.Errorf("%s's %s is in the history %d times, want once (echoed: %v)", nick, cid, n, f.echoed[cid] != 0)
			}
		}
		if len(f.echoed) != len(f.sent) {
			t.Errorf("%s got %d echoes, want %d", nick, len(f.echoed), len(f.sent))
		}
		if f.reconnects < crashKills/2 || f.resets > 0 {
			t.Errorf("%s: %d resumes, %d resets", nick, f.reconnects, f.resets)
		}
		if f.last != uint64(len(all)) {
			t.Errorf("%s saw up to id %d, want %d", nick, f.last, len(all))
		}
		for id := uint64(1); id <= f.last; id++ {
			if f.seen[id] != 1 {
				t.Errorf("%s saw message %d %d times (%d gaps filled)", nick, id, f.seen[id], f.gaps)
				break
			}
		}
		t.Logf("%s: %d resumes, %d gaps filled from history", nick, f.reconnects, f.gaps)
	}
}

// flooder sends as fast as its outbox allows until stop, tells sending
// once all its messages are echoed, then reads on until it has seen the
// total number of messages it is given.
type flooder struct {
	c          *client.Client
	sent       map[string]bool   // cids sent
	echoed     map[string]uint64 // cid → id of its echo
	last       uint64            // id of the last message seen
	seen       map[uint64]int    // how many times each id was seen
	gapped     bool              // the last welcome said messages are missing
	filling    map[string]span   // History requests in flight → the ids wanted
	unfilled   []span            // ranges to ask for on the next connection
	reconnects int
	resets     int
	gaps       int
	err        error
}

func (f *flooder) run(ctx context.Context, stop <-chan struct{}, sending *sync.WaitGroup, total <-chan uint64) {
	ev := f.c.Events()
	stopped, done := false, false
	want := uint64(1 << 62)
	finish := func(err error) {
		f.err = err
		if !done {
			sending.Done()
		}
	}
	for {
		for !stopped && len(f.sent)-len(f.echoed) < 20 {
			cid, err := f.c.Send(fmt.Sprint("flood message ", len(f.sent)))
			if err != nil {
				finish(fmt.Errorf("send: %w", err))
				return
			}
			f.sent[cid] = true
		}
		if stopped && !done && len(f.echoed) == len(f.sent) {
			done = true
			sending.Done()
		}
		if done && f.last >= want && len(f.filling) == 0 && len(f.unfilled) == 0 {
			return
		}
		select {
		case <-ctx.Done():
			finish(fmt.Errorf("%s: gave up with %d of %d echoed, last id %d", f.c.Nick(), len(f.echoed), len(f.sent), f.last))
			return
		case <-stop:
			stopped, stop = true, nil
		case n := <-total:
			want, total = n, nil
		case e := <-ev:
			switch e := e.(type) {
			case client.Connected:
				if e.Resumed {
					f.reconnects++
				}
				if e.Reset {
					f.resets++
				}
				f.gapped = e.Gap
				// Requests the last connection took with it go again.
				for _, r := range f.filling {
					f.unfilled = append(f.unfilled, r)
				}
				clear(f.filling)
				todo := f.unfilled
				f.unfilled = nil
				for _, r := range todo {
					f.fill(r)
				}
			case client.Page:
				r, ok := f.filling[e.Ref]
				if !ok {
					break
				}
				delete(f.filling, e.Ref)
				for _, m := range e.Msgs {
					if m.ID >= r.low && m.ID < r.before {
						f.seen[m.ID]++
					}
				}
				if len(e.Msgs) > 0 && e.Msgs[0].ID > r.low {
					f.fill(span{r.low, e.Msgs[0].ID})
				}
			case client.Message:
				if e.Own && e.Msg.ID <= f.last && f.sent[e.Msg.CID] {
					// The original of a message sent again, from before a
					// gap: its echo, not a new message.
					if _, ok := f.echoed[e.Msg.CID]; !ok {
						f.echoed[e.Msg.CID] = e.Msg.ID
						break
					}
				}
				if f.gapped && e.Msg.ID > f.last+1 {
					// Missed while away: fetch them, older pages first.
					f.gaps++
					f.fill(span{f.last + 1, e.Msg.ID})
				} else if e.Msg.ID != f.last+1 && f.last != 0 {
					finish(fmt.Errorf("%s: message %d after %d: a gap or a repeat", f.c.Nick(), e.Msg.ID, f.last))
					return
				}
				f.gapped = false
				f.last = e.Msg.ID
				f.seen[e.Msg.ID]++
				if e.Own && f.sent[e.Msg.CID] {
					if id, ok := f.echoed[e.Msg.CID]; ok {
						finish(fmt.Errorf("%s: echo of %s twice (ids %d and %d)", f.c.Nick(), e.Msg.CID, id, e.Msg.ID))
						return
					}
					f.echoed[e.Msg.CID] = e.Msg.ID
				}
			case client.Failed:
				finish(fmt.Errorf("%s: send failed: %v", f.c.Nick(), e.Err))
				return
			}
		}
	}
}

// span is the ids from low up to before.
type span struct{ low, before uint64 }

// fill asks for the messages of r, newest page first; what is not
// connected now is asked for on the next connection.
func (f *flooder) fill(r span) {
	ref, err := f.c.History(r.before, wire.MaxPage)
	if err != nil {
		f.unfilled = append(f.unfilled, r)
		return
	}
	f.filling[ref] = r
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

var listening = regexp.MustCompile(`listening.* addr=(\S+)`)

// startServer runs the server binary on addr and data and waits until it
// listens.
func startServer(t *testing.T, bin, addr, data string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "-server", "-addr", addr, "-data", data, "-rate", "0", "-log-level", "info")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var said []string
		for sc.Scan() {
			said = append(said, sc.Text())
			if listening.MatchString(sc.Text()) {
				got <- ""
				for sc.Scan() { // keep the pipe drained
				}
				return
			}
		}
		got <- strconv.Quote(fmt.Sprint(said))
	}()
	select {
	case s := <-got:
		if s != "" {
			t.Fatalf("the server did not start: %s", s)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the server did not start in 20 s")
	}
	return cmd
}
