package server

import (
	"bytes"
	"testing"

	"github.com/gorilla/websocket"
)

// FuzzModeration feeds any sequence of messages from a client, made a
// moderator or not, to a room with a host and a bystander: private
// messages, moderation frames and plain commands among them. Whatever
// comes, nothing panics, the room's books stay consistent, every output
// is well formed, and the host is still in the room.
func FuzzModeration(f *testing.F) {
	const key = "k"
	sep := []byte{0xfe}
	seeds := [][]string{
		{`{"type":"hello","v":1,"nick":"bob"}`, `{"type":"private","to":"host","text":"hi","cid":"1"}`,
			`{"type":"mod","action":"kick","nick":"host"}`, `{"type":"mod","action":"ban","addr":"::1","secs":5}`},
		{`{"type":"hello","v":1,"nick":"bob"}`, `{"type":"claim","key":"x"}`, `{"type":"topic","text":"t"}`,
			`{"type":"mod","action":"mute","nick":"carol","secs":60}`, `{"type":"send","text":"x"}`, `{"type":"mod","action":"unmute","nick":"carol"}`},
		{"/msg host hi", "/msg carol", "/kick carol loud", "/ban carol 1h spam", "/ban 10.0.0.1 2d", "/unban carol",
			"/mute guest-2 10m", "/op carol", "/deop carol", "/topic hi\nthere", "/topic", "/host k"},
		{"/nick carol", "/ban host 1s", "/mute x 0s", "/ban 1.2.3.4:5 30m", "/MSG CAROL psst"},
	}
	for _, s := range seeds {
		in := joinFrames(s, sep)
		for _, mod := range []bool{false, true} {
			f.Add(true, mod, in)
			f.Add(false, mod, in)
		}
	}
	f.Fuzz(func(t *testing.T, rich, mod bool, input []byte) {
		s := New(Config{Rate: -1, MaxText: 64, Backlog: 4, QueueFrames: 256, QueueBytes: 1 << 20, HostKey: key})
		defer release(s)
		host, hostOut := memPeer(s, true, true)
		s.handle(host, websocket.TextMessage, []byte(`{"type":"hello","v":1,"nick":"host"}`))
		s.handle(host, websocket.TextMessage, []byte(`{"type":"claim","key":"k"}`))
		carol, carolOut := memPeer(s, true, true)
		s.handle(carol, websocket.TextMessage, []byte(`{"type":"hello","v":1,"nick":"carol"}`))
		p, out := memPeer(s, rich, true)
		if !rich {
			s.handle(host, websocket.TextMessage, []byte(`{"type":"mod","action":"op","nick":"guest-1"}`))
		}
		for i, frame := range bytes.Split(input, sep) {
			if i >= 64 {
				break
			}
			s.handle(p, websocket.TextMessage, frame)
			if i == 0 && rich && mod {
				s.handle(host, websocket.TextMessage, []byte(`{"type":"mod","action":"op","nick":"bob"}`))
			}
		}
		drain(t, s)

		s.mu.Lock()
		books := roomBooksLocked(s)
		hostIn := host.joined && s.roleLocked(host) == "host"
		s.mu.Unlock()
		if books != "" {
			t.Fatal(books)
		}
		if !hostIn {
			t.Fatal("the host was put out of the room, or lost its role")
		}
		hostOut.checkSent(t, true)
		carolOut.checkSent(t, true)
		out.checkSent(t, rich)
	})
}
