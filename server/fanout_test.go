package server

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// tcpPeer registers a plain peer on a real loopback connection with a
// small send buffer, as ServeHTTP does after an upgrade but without a
// reader, and returns the client's end with a small receive buffer.
func tcpPeer(t *testing.T, s *Server) (*peer, net.Conn) {
	t.Helper()
	cli, srvEnd := tcpPair(t)
	cli.(*net.TCPConn).SetReadBuffer(64 << 10)
	srvEnd.(*net.TCPConn).SetWriteBuffer(64 << 10)
	p := &peer{s: s, raw: srvEnd, sock: newSocket(srvEnd)}
	admit(s, p)
	return p, cli
}

// A broadcast writes to idle peers without a flusher goroutine of their
// own; a write that the socket takes only in part is finished by a
// flusher, before anything queued meanwhile, so a client that reads
// slowly gets every frame whole and in order, and delays nobody.
func TestTryFlushPartialWrites(t *testing.T) {
	s := New(Config{Rate: -1, MaxConns: -1, QueueBytes: 64 << 20})
	defer release(s)
	slow, slowCli := tcpPeer(t, s)
	_, fastCli := tcpPeer(t, s)

	const n, size = 40, 70 << 10 // far more than the socket buffers hold
	frames := make([][]byte, n)
	for i := range frames {
		frames[i] = textFrame(fmt.Sprintf("%04d %s", i, strings.Repeat(string(rune('a'+i%26)), size)))
	}
	readAll := func(c net.Conn, who string) error {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		greeting := make([]byte, len(greetingFrame))
		if _, err := io.ReadFull(br, greeting); err != nil {
			return fmt.Errorf("%s: greeting: %w", who, err)
		}
		for i := range n {
			var h [10]byte
			if _, err := io.ReadFull(br, h[:2]); err != nil {
				return fmt.Errorf("%s: frame %d: %w", who, i, err)
			}
			if h[0] != finBit|opText || h[1] != 127 {
				return fmt.Errorf("%s: frame %d: header %x", who, i, h[:2])
			}
			io.ReadFull(br, h[2:])
			body := make([]byte, binary.BigEndian.Uint64(h[2:]))
			if _, err := io.ReadFull(br, body); err != nil {
				return fmt.Errorf("%s: frame %d: %w", who, i, err)
			}
			if want := frames[i][10:]; string(body) != string(want) {
				return fmt.Errorf("%s: frame %d is %.20q…, want %.20q…", who, i, body, want)
			}
		}
		return nil
	}
	fastDone := make(chan error, 1)
	go func() { fastDone <- readAll(fastCli, "fast") }()
	for _, f := range frames {
		s.mu.Lock()
		s.broadcastLocked(nil, f)
		s.mu.Unlock()
	}
	// The fast client gets everything while the slow one reads nothing.
	if err := <-fastDone; err != nil {
		t.Fatal(err)
	}
	slow.mu.Lock()
	stuck := slow.flags&qFlushing != 0 || len(slow.q) > 0
	slow.mu.Unlock()
	if !stuck {
		t.Fatal("everything was written to the slow client unread: the test proves nothing")
	}
	if err := readAll(slowCli, "slow"); err != nil {
		t.Fatal(err)
	}
	drain(t, s)
}

// Frames queued while tryFlush writes go after what is left of its frame,
// however the write and the queueing interleave.
func TestTryFlushKeepsOrder(t *testing.T) {
	s := New(Config{Rate: -1, MaxConns: -1, QueueBytes: 64 << 20})
	defer release(s)
	big := textFrame("A" + strings.Repeat("a", 200<<10)) // more than the socket buffers hold
	small := func(i int) []byte { return textFrame(fmt.Sprintf("B%04d", i)) }
	const k = 200
	for round := range 20 {
		p, cli := tcpPeer(t, s)
		greeting := make([]byte, len(greetingFrame))
		cli.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(cli, greeting); err != nil {
			t.Fatal(err)
		}
		drain(t, s)
		if !p.queue(big, true) {
			t.Fatal("an idle peer's first frame did not ask for a flusher")
		}
		go func() {
			for i := range k {
				p.enqueue(small(i))
			}
		}()
		p.tryFlush(new(iovScratch))
		br := bufio.NewReader(cli)
		var h [10]byte
		io.ReadFull(br, h[:10])
		if h[0] != finBit|opText || h[1] != 127 || binary.BigEndian.Uint64(h[2:]) != uint64(len(big)-10) {
			t.Fatalf("round %d: first header %x", round, h)
		}
		body := make([]byte, len(big)-10)
		if _, err := io.ReadFull(br, body); err != nil || string(body) != string(big[10:]) {
			t.Fatalf("round %d: the big frame came back broken (%v)", round, err)
		}
		for i := range k {
			want := small(i)
			got := make([]byte, len(want))
			if _, err := io.ReadFull(br, got); err != nil || string(got) != string(want) {
				t.Fatalf("round %d: frame B%d: got %q (%v), want %q", round, i, got, err, want)
			}
		}
		drain(t, s)
	}
}

// A broadcast to a large room is written by several goroutines when the
// runtime has several processors; every client still gets every frame,
// whole and in order, and the list of peers is recycled only once all of
// them are done with it.
func TestBroadcastSplit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	s := New(Config{Rate: -1, MaxConns: -1, MaxConnsPerIP: -1, QueueBytes: 64 << 20})
	defer release(s)
	const peers, msgs = 2*splitAt + 20, 30
	clis := make([]net.Conn, peers)
	for i := range clis {
		_, clis[i] = tcpPeer(t, s)
	}
	drain(t, s)
	for i := range msgs {
		s.mu.Lock()
		s.broadcastLocked(nil, textFrame(fmt.Sprintf("M%04d", i)))
		s.mu.Unlock()
	}
	// The greeting and join notices come first; then the broadcasts, in
	// order.
	readers := make([]*bufio.Reader, peers)
	for i, cli := range clis {
		cli.SetReadDeadline(time.Now().Add(20 * time.Second))
		readers[i] = bufio.NewReader(cli)
	}
	readInOrder(t, readers, "M", msgs, func(i int) string { return fmt.Sprintf("M%04d", i) })
	drain(t, s)
}
