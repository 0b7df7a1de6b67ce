package wire_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"parley/net/wire"
)

// benchMsg is a typical chat message as the server broadcasts it.
var benchMsg = wire.Msg{ID: 123456, Time: 1764028800123, From: "alice", Text: "Did last night's build go green? The report should be up by now.", CID: "c-5f1e2a-42"}

// benchWelcome is a full welcome: 50 people and a 500-message backlog,
// what a client gets when it joins a busy room.
func benchWelcome() wire.Welcome {
	w := wire.Welcome{V: wire.Version, Nick: "alice", Session: strings.Repeat("ab", 16),
		Epoch: "79fe9ad904be8d71", Room: "Parley", Server: "parley/0.1.0",
		LastID: 500, Limits: wire.Limits{MaxText: wire.DefaultMaxText, MaxFrame: wire.DefaultMaxFrame, Rate: 30, Burst: 60}}
	for i := range 50 {
		w.Users = append(w.Users, wire.User{Nick: fmt.Sprintf("user%02d", i)})
	}
	for i := range 500 {
		m := benchMsg
		m.ID = uint64(i + 1)
		m.From = w.Users[i%50].Nick
		w.History = append(w.History, m)
	}
	return w
}

func BenchmarkEncode(b *testing.B) {
	for _, c := range []struct {
		name string
		f    wire.Frame
	}{
		{"msg", benchMsg},
		{"send", wire.Send{CID: benchMsg.CID, Text: benchMsg.Text}},
		{"join", wire.Join{Time: benchMsg.Time, Nick: "bob"}},
		{"welcome-500", benchWelcome()},
	} {
		b.Run(c.name, func(b *testing.B) {
			data, err := wire.Encode(c.f)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := wire.Encode(c.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// EncodeTo into a reused buffer: what the server does once per broadcast.
func BenchmarkEncodeToReused(b *testing.B) {
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := wire.EncodeTo(&buf, benchMsg); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct {
		name string
		f    wire.Frame
	}{
		{"msg", benchMsg},
		{"send", wire.Send{CID: benchMsg.CID, Text: benchMsg.Text}},
		{"hello", wire.Hello{V: wire.Version, Nick: "alice", Agent: "parley/0.1.0"}},
		{"welcome-500", benchWelcome()},
	} {
		b.Run(c.name, func(b *testing.B) {
			data, err := wire.Encode(c.f)
			if err != nil {
				b.Fatal(err)
			}
			if f, err := wire.Decode(data); err != nil || f.FrameType() != c.f.FrameType() {
				b.Fatalf("Decode = %v, %v; want a %s", f, err, c.f.FrameType())
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := wire.Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// The checks every incoming message and nickname goes through.
func BenchmarkClean(b *testing.B) {
	long := strings.Repeat("a line of ordinary chat text, ", 600)[:wire.DefaultMaxText]
	for _, c := range []struct {
		name string
		text string
	}{
		{"clean-64", benchMsg.Text[:64]},
		{"clean-16k", long},
		{"escapes-64", "\x1b[2J\x1b[31mred\x1b[0m and\r\nbob: a forged line\u2028with\x00 controls"},
	} {
		b.Run("text/"+c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.text)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := wire.CheckText(c.text, wire.DefaultMaxText); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("nick", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := wire.CheckNick("Alice_Smith-2"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("plain-line", func(b *testing.B) {
		text := "first line\nsecond line\nthird"
		b.ReportAllocs()
		for b.Loop() {
			if wire.PlainLine("alice", text) == "" {
				b.Fatal("empty line")
			}
		}
	})
}
