package server

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/wire"
)

// memConn is a net.Conn that records or discards what is written to it,
// standing in for a client in tests of the hub and the input path.
type memConn struct {
	mu      sync.Mutex
	out     bytes.Buffer
	record  bool
	closed  bool
	written int64
}

func (c *memConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.record {
		c.out.Write(b)
	}
	c.written += int64(len(b))
	return len(b), nil
}

func (c *memConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (c *memConn) Close() error                     { c.mu.Lock(); c.closed = true; c.mu.Unlock(); return nil }
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2000} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// memPeer registers a peer on a memConn, as ServeHTTP does after an
// upgrade, without a reader goroutine: the test calls s.handle itself.
func memPeer(s *Server, rich, record bool) (*peer, *memConn) {
	c := &memConn{record: record}
	p := &peer{s: s, raw: c, rich: rich}
	admit(s, p)
	return p, c
}

// drain waits until no peer of s has queued frames or a running flusher.
func drain(tb testing.TB, s *Server) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		s.mu.Lock()
		busy := 0
		for p := range s.conns {
			p.mu.Lock()
			if p.flags&qFlushing != 0 || (len(p.q) > 0 && p.phase != phaseDead) {
				busy++
			}
			p.mu.Unlock()
		}
		s.mu.Unlock()
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d peers still flushing", busy)
		}
		time.Sleep(time.Millisecond)
	}
}

// release ends every peer of s, as their readers would.
func release(s *Server) {
	s.mu.Lock()
	peers := make([]*peer, 0, len(s.conns))
	for p := range s.conns {
		peers = append(peers, p)
	}
	s.mu.Unlock()
	for _, p := range peers {
		p.cut()
		s.leave(p)
		s.unregister(p)
	}
}

// serverFrames splits what a server wrote into frames, checking the
// framing itself: final, unmasked, no reserved bits, no frame after a
// close frame.
func serverFrames(tb testing.TB, b []byte) (ops []byte, payloads [][]byte) {
	tb.Helper()
	for len(b) > 0 {
		n, h, ok := chattest.FrameLen(b)
		if !ok {
			tb.Fatalf("truncated frame header %x", b)
		}
		if b[0]&0xf0 != finBit || b[1]&0x80 != 0 {
			tb.Fatalf("bad frame header %x", b[:2])
		}
		if len(ops) > 0 && ops[len(ops)-1] == opClose {
			tb.Fatalf("a frame (op %d) after the close frame", b[0]&0xf)
		}
		if len(b) < h+n {
			tb.Fatalf("truncated frame: %d of %d bytes", len(b)-h, n)
		}
		ops = append(ops, b[0]&0xf)
		payloads = append(payloads, b[h:h+n])
		b = b[h+n:]
	}
	return ops, payloads
}

// checkOutput checks everything one client was sent: text frames are
// valid UTF-8, a rich client's decode as protocol frames, and no chat
// text or nickname carries a control character.
func checkOutput(tb testing.TB, rich bool, out []byte) {
	tb.Helper()
	ops, payloads := serverFrames(tb, out)
	for i, op := range ops {
		data := payloads[i]
		switch op {
		case opText:
			if !utf8.Valid(data) {
				tb.Fatalf("text frame is not UTF-8: %q", data)
			}
			if !rich {
				for _, r := range string(data) {
					if r < 0x20 && r != '\n' && r != '\t' {
						tb.Fatalf("plain line carries %U: %q", r, data)
					}
				}
				continue
			}
			f, err := wire.Decode(data)
			if err != nil {
				tb.Fatalf("rich client was sent %q: %v", data, err)
			}
			if m, ok := f.(wire.Msg); ok {
				if wire.CleanText(m.Text) != m.Text || m.Text == "" {
					tb.Fatalf("message text not clean: %q", m.Text)
				}
				if nick, err := wire.CheckNick(m.From); err != nil || nick != m.From {
					tb.Fatalf("message from invalid nickname %q", m.From)
				}
			}
		case opClose:
			if len(data) < 2 {
				tb.Fatalf("close frame without a code: %x", data)
			}
		case opPing, opPong:
		default:
			tb.Fatalf("unexpected opcode %d", op)
		}
	}
}

// FuzzHandle drives the server's input path, a client's frames, with
// arbitrary input from a rich or a plain client, next to a rich observer.
// Nothing may panic, every frame sent to either client must be well formed
// and clean, and the room's books must balance.
func FuzzHandle(f *testing.F) {
	sep := []byte{0xfe} // never valid UTF-8, so frames split on it
	seeds := [][]string{
		{`{"type":"hello","v":1,"nick":"bob"}`, `{"type":"send","cid":"1","text":"hi"}`, `{"type":"send","cid":"1","text":"hi"}`},
		{`{"type":"hello","v":1,"nick":"obs"}`, `{"type":"hello","v":1,"nick":"Bob"}`},
		{`{"type":"hello","v":1,"nick":"bob","epoch":"x","after":0}`, `{"type":"nick","nick":"obs"}`, `{"type":"status","status":"away"}`},
		{`{"type":"send","text":"early"}`, `{"type":`, `[]`, `null`, `{"type":"welcome"}`},
		{"hello", "/nick bob", "/nick obs", "/who", "/help", "//x", "/x", "a\r\nb\x1b[2J\u202e"},
		{"\x02binary", `{"type":"send","text":"` + strings.Repeat("é", 40) + `"}`},
		{"bad \xc3\x28 utf-8"},
	}
	for _, s := range seeds {
		f.Add(true, joinFrames(s, sep))
		f.Add(false, joinFrames(s, sep))
	}
	f.Fuzz(func(t *testing.T, rich bool, input []byte) {
		s := New(Config{Rate: -1, MaxText: 64, Backlog: 4, QueueFrames: 256, QueueBytes: 1 << 20})
		defer release(s)
		obs, obsOut := memPeer(s, true, true)
		s.handle(obs, websocket.TextMessage, []byte(`{"type":"hello","v":1,"nick":"obs"}`))
		p, out := memPeer(s, rich, true)
		feedFrames(s, p, input, sep, 64, nil)
		drain(t, s)

		s.mu.Lock()
		books := roomBooksLocked(s)
		s.mu.Unlock()
		if books != "" {
			t.Fatal(books)
		}
		obsOut.checkSent(t, true)
		out.checkSent(t, rich)
	})
}

// TestFrameHeaders checks the three header sizes against gorilla's
// reader, which must accept what the server writes.
func TestFrameHeaders(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 70000} {
		payload := bytes.Repeat([]byte("a"), n)
		f := frameOf(opText, payload)
		ops, got := serverFrames(t, f)
		if len(ops) != 1 || ops[0] != opText || !bytes.Equal(got[0], payload) {
			t.Fatalf("%d bytes: bad frame", n)
		}
		if len(f) != headerLen(n)+n {
			t.Fatalf("%d bytes: frame of %d bytes", n, len(f))
		}
	}
	c := closeFrame(1001, strings.Repeat("é", 100))
	ops, got := serverFrames(t, c)
	if ops[0] != opClose || len(got[0]) > 125 || !utf8.Valid(got[0][2:]) || binary.BigEndian.Uint16(got[0]) != 1001 {
		t.Fatalf("close frame %x", c)
	}
}

// BenchmarkBroadcast measures one chat message broadcast to a room of n
// clients on in-memory connections: the hub's critical section, the
// queueing, and the flushers writing every frame. deliveries/s counts
// frames delivered to clients.
func BenchmarkBroadcast(b *testing.B) {
	for _, tc := range []struct {
		mode string
		n    int
	}{
		{"rich", 1}, {"rich", 100}, {"rich", 1000}, {"plain", 100}, {"mixed", 1000},
	} {
		b.Run(fmt.Sprintf("%s/peers=%d", tc.mode, tc.n), func(b *testing.B) {
			s := New(Config{Rate: -1, QueueFrames: 1 << 20, QueueBytes: 1 << 30, MaxConns: -1})
			defer release(s)
			peers := make([]*peer, tc.n)
			for i := range peers {
				rich := tc.mode == "rich" || (tc.mode == "mixed" && i%2 == 0)
				peers[i], _ = memPeer(s, rich, false)
				if rich {
					s.handle(peers[i], websocket.TextMessage, fmt.Appendf(nil, `{"type":"hello","v":1,"nick":"p%d"}`, i))
				}
			}
			drain(b, s)
			sender := peers[0]
			text := strings.Repeat("x", 64)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				s.post(sender, text, "")
			}
			drain(b, s)
			b.ReportMetric(float64(b.N*tc.n)/time.Since(start).Seconds(), "deliveries/s")
		})
	}
}

func TestBucket(t *testing.T) {
	now := time.Now()
	r := rule{rate: 10, burst: 3}
	var b bucket // the zero bucket is full
	for i := 0; i < 3; i++ {
		if ok, _ := b.take(r, now); !ok {
			t.Fatalf("token %d of the burst refused", i+1)
		}
	}
	ok, wait := b.take(r, now)
	if ok || wait != 100*time.Millisecond {
		t.Fatalf("over the burst: ok=%v wait=%v, want refused, 100ms", ok, wait)
	}
	if ok, _ := b.take(r, now.Add(100*time.Millisecond)); !ok {
		t.Fatal("refused after a token came back")
	}
	if ok, _ := b.take(r, now.Add(150*time.Millisecond)); ok {
		t.Fatal("half a token was enough")
	}
	// Idle time refills to the burst and no further.
	later := now.Add(time.Hour)
	for i := 0; i < 3; i++ {
		if ok, _ := b.take(r, later); !ok {
			t.Fatalf("after an hour, token %d refused", i+1)
		}
	}
	if ok, _ := b.take(r, later); ok {
		t.Fatal("the bucket held more than its burst")
	}
}

func TestPeerSize(t *testing.T) {
	// Every idle connection holds one peer: keep it in a small size class
	// (352 bytes since the leave reason became a byte and the flusher's
	// vector went to a pool).
	if n := unsafe.Sizeof(peer{}); n > 352 {
		t.Fatalf("peer is %d bytes", n)
	}
}
