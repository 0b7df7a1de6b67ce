package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"parley/net/wire"
)

func TestPayloadRoundTrip(t *testing.T) {
	tests := []struct {
		sender int
		seq    uint64
		sent   int64
		size   int
	}{
		{0, 0, 0, 32},
		{3, 1, 123456789, 64},
		{9999, 1 << 40, 1<<62 + 7, 64},
		{1, 2, 3, 499},
	}
	for _, tt := range tests {
		p := appendPayload(nil, tt.sender, tt.seq, tt.sent, tt.size)
		if len(p) < tt.size {
			t.Errorf("payload %q is %d bytes, want at least %d", p, len(p), tt.size)
		}
		if len(p) > tt.size && len(p) > 48 {
			t.Errorf("payload %q is %d bytes, want %d", p, len(p), tt.size)
		}
		d, ok := parsePayload(p)
		if !ok || d.sender != tt.sender || d.seq != tt.seq || d.sent != tt.sent {
			t.Errorf("parsePayload(%q) = %+v, %v", p, d, ok)
		}
		// The payload passes Parley's own text rules unchanged, so that
		// the server relays it byte for byte.
		if got, err := wire.CheckText(string(p), wire.DefaultMaxText); err != nil || got != string(p) {
			t.Errorf("wire.CheckText(%q) = %q, %v", p, got, err)
		}
	}
}

func TestParsePayloadRejects(t *testing.T) {
	for _, s := range []string{
		"", "#", "#1.2.3", "#1.2.3x", "x1.2.3.xxxxxxxx", "#1..3.xxxxxxx", "#a.2.3.xxxxxxx",
		"#1.2.99999999999999999999999.x", "Welcome to chat! Type a message",
	} {
		if d, ok := parsePayload([]byte(s)); ok {
			t.Errorf("parsePayload(%q) = %+v, want not a payload", s, d)
		}
	}
}

func TestEachPlain(t *testing.T) {
	p := func(sender int, seq uint64) string {
		return string(appendPayload(nil, sender, seq, int64(1000+seq), 40))
	}
	tests := []struct {
		name  string
		frame string
		want  []string // sender.seq of each payload found
		other int
	}{
		{"gorilla single", p(1, 7), []string{"1.7"}, 0},
		{"gorilla merged", p(1, 7) + "\n" + p(2, 1) + "\n" + p(1, 8), []string{"1.7", "2.1", "1.8"}, 0},
		{"parley line", "b1: " + p(1, 7), []string{"1.7"}, 0},
		{"parley nick with colon-free punctuation", "b_1[x]: " + p(0, 3), []string{"0.3"}, 0},
		{"parley greeting", wire.Greeting, nil, 1},
		{"parley notice", wire.PlainNotice("b7 joined"), nil, 1},
		{"multi-line text: continuation lines are not payloads",
			wire.PlainLine("b2", "hello\n"+p(2, 9)), nil, 2},
		{"text after the payload's nick prefix", wire.PlainLine("b3", p(3, 4)), []string{"3.4"}, 0},
		{"empty frame", "", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			other := eachPlain([]byte(tt.frame), func(d delivery) {
				got = append(got, fmt.Sprintf("%d.%d", d.sender, d.seq))
				if d.sent != int64(1000+d.seq) {
					t.Errorf("sent = %d, want %d", d.sent, 1000+d.seq)
				}
			})
			if strings.Join(got, " ") != strings.Join(tt.want, " ") || other != tt.other {
				t.Errorf("eachPlain(%q) = %v, %d other; want %v, %d other", tt.frame, got, other, tt.want, tt.other)
			}
		})
	}
}

func TestParseRich(t *testing.T) {
	pay := string(appendPayload(nil, 2, 5, 777, 64))
	msg, err := wire.Encode(wire.Msg{ID: 9, Time: 1700000000000, From: "b2", Text: pay, CID: "5"})
	if err != nil {
		t.Fatal(err)
	}
	errFrame, _ := wire.Encode(wire.Error{Code: wire.CodeRateLimited, Text: "slow down", CID: "5", RetryMS: 100})
	join, _ := wire.Encode(wire.Join{Time: 1, Nick: "b3"})
	other, _ := wire.Encode(wire.Msg{ID: 10, From: "alice", Text: "hi there"})
	tests := []struct {
		name  string
		frame []byte
		kind  richKind
		want  delivery
	}{
		{"msg", msg, richMsg, delivery{sender: 2, seq: 5, sent: 777}},
		{"error", errFrame, richError, delivery{}},
		{"join", join, richOther, delivery{}},
		{"msg without payload", other, richOther, delivery{}},
		{"garbage", []byte(`{"type":"msg"`), richOther, delivery{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, kind := parseRich(tt.frame)
			if kind != tt.kind || d != tt.want {
				t.Errorf("parseRich(%s) = %+v, %v; want %+v, %v", tt.frame, d, kind, tt.want, tt.kind)
			}
		})
	}
}

func TestAppendRichSendDecodes(t *testing.T) {
	pay := appendPayload(nil, 1, 42, 99, 64)
	f, err := wire.Decode(appendRichSend(nil, 42, pay))
	if err != nil {
		t.Fatal(err)
	}
	s, ok := f.(wire.Send)
	if !ok || s.CID != "42" || s.Text != string(pay) {
		t.Errorf("decoded %#v", f)
	}
}

func TestParseProc(t *testing.T) {
	status := "Name:\tparley\nVmPeak:\t  99 kB\nVmRSS:\t   12345 kB\nThreads:\t5\n"
	if got := parseVmRSS([]byte(status)); got != 12345 {
		t.Errorf("parseVmRSS = %d, want 12345", got)
	}
	if got := parseVmRSS([]byte("Name:\tx\n")); got != 0 {
		t.Errorf("parseVmRSS without VmRSS = %d, want 0", got)
	}
	// A command name with spaces and parentheses must not shift fields.
	stat := "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 5 0 1 2 3"
	if got := parseStatCPU([]byte(stat)); got.Seconds() != 4 {
		t.Errorf("parseStatCPU = %v, want 4s (250+150 ticks)", got)
	}
	// user nice system idle iowait irq softirq steal: idle and iowait
	// are not busy.
	sys := "cpu  100 1 20 5000 7 2 3 4 0 0\ncpu0 50 0 10 2500 3 1 1 2 0 0\n"
	if got := parseSysTimes([]byte(sys)); got.Busy != 1270*time.Millisecond || got.Softirq != 30*time.Millisecond {
		t.Errorf("parseSysTimes = %+v, want busy 1.27s (127 ticks), softirq 30ms", got)
	}
}

func BenchmarkEachPlain(b *testing.B) {
	frame := []byte("b1: " + string(appendPayload(nil, 1, 123456, 987654321, 64)))
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		eachPlain(frame, func(delivery) { n++ })
	}
}

func BenchmarkParseRich(b *testing.B) {
	frame, _ := wire.Encode(wire.Msg{ID: 9, Time: 1700000000000, From: "b2", Text: string(appendPayload(nil, 1, 123456, 987654321, 64)), CID: "123456"})
	b.ReportAllocs()
	for b.Loop() {
		if _, k := parseRich(frame); k != richMsg {
			b.Fatal("not a msg")
		}
	}
}

// loopReader repeats a byte stream forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

// stampReader stamps reads as stampConn does, for a reader that is not a
// connection.
type stampReader struct {
	r io.Reader
	s *stampConn
}

func (s *stampReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.s.at = int64(time.Since(s.s.base))
	return n, err
}

// BenchmarkReceive is the generator's cost per delivery above the
// kernel: frame header, parse, histogram and counters, for Parley's plain
// lines, as one reader goroutine sees them.
func BenchmarkReceive(b *testing.B) {
	var stream []byte
	for i := range 1000 {
		line := "b1: " + string(appendPayload(nil, 1, uint64(i+1), 123456789, 64))
		stream = append(stream, 0x81, byte(len(line)))
		stream = append(stream, line...)
	}
	r := &runner{sc: scenario{Senders: 2}}
	r.senders = []*sender{{}, {}}
	r.nrecv.Store(1)
	c := &client{last: make([]uint64, 2)}
	stamp := &stampConn{base: time.Now()}
	ws := &wsConn{stamp: stamp, br: bufio.NewReaderSize(&stampReader{&loopReader{data: stream}, stamp}, 32<<10)}
	b.ReportAllocs()
	for b.Loop() {
		_, p, err := ws.readMessage()
		if err != nil {
			b.Fatal(err)
		}
		now := ws.receivedAt()
		eachPlain(p, func(d delivery) { r.deliver(c, d, now) })
	}
}
