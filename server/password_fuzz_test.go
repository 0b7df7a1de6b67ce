package server

import (
	"bytes"
	"strings"
	"sync"
	"testing"

	"github.com/gorilla/websocket"

	"parley/net/password"
)

// fuzzVerifier is the password of FuzzGate's rooms, made once: a
// derivation per input would be most of the fuzzing's time.
var fuzzVerifier = sync.OnceValue(func() *password.Verifier {
	v, err := password.New("correct horse battery staple", password.Params{})
	if err != nil {
		panic(err)
	}
	return v
})

// FuzzGate feeds any sequence of messages from a client that does not
// know the room password, rich or plain, next to an observer in the
// room. Whatever it sends, it stays out: it receives nothing said in the
// room, the observer sees no join and no message of its, the room's
// books stay consistent, and every frame it gets is well formed.
func FuzzGate(f *testing.F) {
	sep := []byte{0xfe} // never valid UTF-8, so frames split on it
	seeds := [][]string{
		{`{"type":"hello","v":1,"nick":"bob"}`, `{"type":"auth","nonce":"x","proof":"y"}`, `{"type":"send","text":"hi"}`},
		{`{"type":"hello","v":1,"nick":"bob"}`, `{"type":"auth","nonce":"` + strings.Repeat("A", 43) + `","proof":"` + strings.Repeat("B", 43) + `"}`,
			`{"type":"hello","v":1,"nick":"obs"}`, `{"type":"history"}`, `{"type":"search","q":"secret"}`},
		{`{"type":"auth"}`, `{"type":"challenge","salt":"x"}`, `{"type":"auth_ok","proof":"z"}`, `{"type":"nick","nick":"x"}`},
		{"hello", "/who", "/pass", "/pass wrong", "/PASS wrong again", "/pass  ", "/search secret", "/nick bob", "//x"},
		{"/pass " + strings.Repeat("x", 300), "\x02binary", "bad \xc3\x28 utf-8"},
	}
	for _, s := range seeds {
		f.Add(true, joinFrames(s, sep))
		f.Add(false, joinFrames(s, sep))
	}
	f.Fuzz(func(t *testing.T, rich bool, input []byte) {
		s := New(Config{Rate: -1, MaxText: 64, Backlog: 4, QueueFrames: 256, QueueBytes: 1 << 20,
			Password: fuzzVerifier(), PasswordTries: 2})
		defer release(s)
		obs, obsOut := memPeer(s, true, true) // not gated: it passed the password
		s.handle(obs, websocket.TextMessage, []byte(`{"type":"hello","v":1,"nick":"obs"}`))
		s.handle(obs, websocket.TextMessage, []byte(`{"type":"send","text":"the secret plan"}`))
		p, out := gatedPeer(s, rich)
		feedFrames(s, p, input, sep, 32, func() {
			s.handle(obs, websocket.TextMessage, []byte(`{"type":"send","text":"the secret plan"}`))
		})
		drain(t, s)

		s.mu.Lock()
		books := roomBooksLocked(s)
		joined := p.joined
		s.mu.Unlock()
		if books != "" {
			t.Fatal(books)
		}
		if joined || !p.gate {
			t.Fatalf("a client without the password is in the room (joined %v, gated %v)", joined, p.gate)
		}
		out.mu.Lock()
		got := out.out.Bytes()
		checkOutput(t, rich, got)
		if bytes.Contains(got, []byte("secret plan")) {
			t.Fatalf("the gated client received what was said in the room: %q", got)
		}
		out.mu.Unlock()
		obsOut.mu.Lock()
		seen := obsOut.out.Bytes()
		checkOutput(t, true, seen)
		if bytes.Contains(seen, []byte(`"type":"join"`)) || bytes.Count(seen, []byte(`"type":"msg"`)) != bytes.Count(seen, []byte("secret plan")) {
			t.Fatalf("the observer saw the gated client: %q", seen)
		}
		obsOut.mu.Unlock()
	})
}

// gatedPeer is memPeer for a client that has not passed the password, as
// start makes it.
func gatedPeer(s *Server, rich bool) (*peer, *memConn) {
	c := &memConn{record: true}
	p := &peer{s: s, raw: c, rich: rich, gate: true}
	admit(s, p)
	return p, c
}

// A plain client at the gate that does not give the password in time is
// told why before it is closed; its timer is the longer passTimeout.
func TestPassTimeout(t *testing.T) {
	s := New(Config{Rate: -1, Password: fuzzVerifier()})
	defer release(s)
	p, out := gatedPeer(s, false)
	p.mu.Lock()
	armed := p.helloWait != nil
	p.mu.Unlock()
	if !armed {
		t.Fatal("no timer for a gated plain client")
	}
	s.helloTimedOut(p)
	drain(t, s)
	out.mu.Lock()
	defer out.mu.Unlock()
	got := out.out.String()
	if !strings.Contains(got, "* disconnected: no password in time") {
		t.Fatalf("a gated plain client timed out with %q", got)
	}
}
