package server_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"parley/net/password"
	"parley/net/wire"
	"parley/server"
)

// The room password, as clients meet it: a real server on loopback, raw
// frames in, exact answers out.

const roomPassword = "open sesame"

// verifiers are made once: a derivation costs tens of milliseconds, more
// under -race.
var verifier = sync.OnceValue(func() *password.Verifier {
	v, err := password.New(roomPassword, password.Params{})
	if err != nil {
		panic(err)
	}
	return v
})

func passwordConfig(t testing.TB) server.Config {
	return server.Config{Password: verifier(), Logger: testLogger(t)}
}

// answer answers a challenge with pw as a Parley client does, and
// returns the auth and the server proof it expects.
func answer(t testing.TB, ch wire.Challenge, pw string) (wire.Auth, string) {
	t.Helper()
	salt, err := password.Decode(ch.Salt, password.SaltSize)
	if err != nil {
		t.Fatalf("challenge salt: %v", err)
	}
	snonce, err := password.Decode(ch.Nonce, password.NonceSize)
	if err != nil {
		t.Fatalf("challenge nonce: %v", err)
	}
	p := password.Params{Time: ch.T, Memory: ch.M, Threads: ch.P}
	if ch.Alg != password.Alg || p.Check() != nil {
		t.Fatalf("challenge %+v: not what a client accepts", ch)
	}
	k := password.Derive(pw, salt, p)
	cnonce := password.Nonce()
	if ch.Bind != "" {
		t.Fatalf("a challenge over ws:// asks for binding %q", ch.Bind)
	}
	return wire.Auth{Nonce: password.Encode(cnonce), Proof: password.Encode(password.ClientProof(k, snonce, cnonce, nil))},
		password.Encode(password.ServerProof(k, snonce, cnonce, nil))
}

// richWithPassword joins nick with pw through the challenge.
func richWithPassword(t testing.TB, url, nick, pw string) (*client, wire.Welcome) {
	t.Helper()
	c := dial(t, url, true)
	c.name = nick
	c.send(wire.Hello{V: wire.Version, Nick: nick})
	auth, want := answer(t, next[wire.Challenge](c), pw)
	c.send(auth)
	if ok := next[wire.AuthOK](c); ok.Proof != want {
		t.Fatalf("%s: auth_ok proof %q, want %q", nick, ok.Proof, want)
	}
	return c, c.welcome()
}

func TestPasswordRich(t *testing.T) {
	_, url := start(t, passwordConfig(t))
	alice, w := richWithPassword(t, url, "alice", roomPassword)
	if !strings.Contains(strings.Join(w.Caps, ","), wire.CapPassword) {
		t.Errorf("welcome caps %v lack %q", w.Caps, wire.CapPassword)
	}

	// A client still at the gate is not in the room: it gets nothing
	// said there, is not listed, and only hello and auth are heard.
	bob := dial(t, url, true)
	bob.name = "bob"
	bob.send(wire.Send{CID: "b1", Text: "let me in"})
	if e := next[wire.Error](bob); e.Code != wire.CodePasswordNeeded {
		t.Fatalf("a send at the gate: %+v, want password_needed", e)
	}
	bob.send(wire.Hello{V: wire.Version, Nick: "bob"})
	ch1 := next[wire.Challenge](bob)
	alice.send(wire.Send{CID: "a1", Text: "secret plans"})
	if m := next[wire.Msg](alice); m.Text != "secret plans" {
		t.Fatalf("alice got %+v", m)
	}
	wrong, _ := answer(t, ch1, "open sesame!")
	bob.send(wrong)
	// The next frame bob gets is the refusal, not alice's message.
	if e := next[wire.Error](bob); e.Code != wire.CodePasswordWrong || !strings.Contains(e.Text, "4 more tries") {
		t.Fatalf("a wrong proof: %+v, want password_wrong with 4 more tries", e)
	}
	// An answer is good for one challenge only.
	bob.send(wrong)
	if e := next[wire.Error](bob); e.Code != wire.CodeNotJoined {
		t.Fatalf("a second auth for one challenge: %+v, want not_joined", e)
	}
	bob.send(wire.Hello{V: wire.Version, Nick: "alice"})
	ch2 := next[wire.Challenge](bob)
	if ch2.Nonce == ch1.Nonce || ch2.Salt != ch1.Salt {
		t.Fatalf("second challenge %+v after %+v: want a fresh nonce and the same salt", ch2, ch1)
	}
	right, wantProof := answer(t, ch2, roomPassword)
	bob.send(right)
	// The password passed, the nickname did not: auth_ok, then the
	// hello's error; a new hello then joins without a challenge.
	if ok := next[wire.AuthOK](bob); ok.Proof != wantProof {
		t.Fatalf("auth_ok %+v, want proof %q", ok, wantProof)
	}
	if e := next[wire.Error](bob); e.Code != wire.CodeNickTaken {
		t.Fatalf("after auth_ok: %+v, want nick_taken", e)
	}
	bob.send(wire.Hello{V: wire.Version, Nick: "bob"})
	w = bob.welcome()
	if len(w.Users) != 2 || w.History[len(w.History)-1].Text != "secret plans" {
		t.Fatalf("bob's welcome: users %+v, history %+v", w.Users, w.History)
	}
	if j := next[wire.Join](alice); j.Nick != "bob" {
		t.Fatalf("alice saw %+v, want bob's join", j)
	}
}

func TestPasswordPlain(t *testing.T) {
	_, url := start(t, passwordConfig(t))
	alice, _ := richWithPassword(t, url, "alice", roomPassword)

	g := dial(t, url, false)
	if got := g.text(); got != wire.Greeting {
		t.Fatalf("greeting %q", got)
	}
	notice := g.text()
	if !strings.Contains(notice, "/pass PASSWORD") || !strings.Contains(notice, "not encrypted") {
		t.Fatalf("notice %q: want /pass and a word on ws://", notice)
	}
	for _, line := range []string{"hello?", "/who", "/nick mallory"} {
		g.say(line)
		if got := g.text(); got != notice {
			t.Fatalf("%q at the gate: answer %q, want the notice again", line, got)
		}
	}
	g.say("/pass 1234")
	if got := g.text(); !strings.HasPrefix(got, "* wrong password") {
		t.Fatalf("a wrong /pass: %q", got)
	}
	alice.send(wire.Send{Text: "while you wait"})
	next[wire.Msg](alice)
	g.say("/pass " + roomPassword)
	// Nothing said before: the next line is the acceptance.
	if got := g.text(); got != "* password accepted: you are guest-1" {
		t.Fatalf("the right /pass: %q", got)
	}
	if j := next[wire.Join](alice); j.Nick != "guest-1" || !j.Plain {
		t.Fatalf("alice saw %+v, want guest-1's join", j)
	}
	g.say("hi all")
	if m := next[wire.Msg](alice); m.From != "guest-1" || m.Text != "hi all" {
		t.Fatalf("alice got %+v", m)
	}
	// The gate's lines never reached the room.
	alice.send(wire.Send{Text: "/who"})
	if m := next[wire.Msg](alice); m.Text != "/who" {
		t.Fatalf("alice got %+v: a line from the gate reached the room", m)
	}
}

// Wrong guesses are counted per address: reconnecting does not reset
// them, and the lock-out covers both modes and says when to come back.
func TestPasswordGuessesPerAddress(t *testing.T) {
	cfg := passwordConfig(t)
	cfg.PasswordTries = 3
	cfg.PasswordLockout = 10 * time.Minute
	_, url := start(t, cfg)
	for i := range 3 {
		c := dial(t, url, true)
		c.send(wire.Hello{V: wire.Version, Nick: "mallory"})
		auth, _ := answer(t, next[wire.Challenge](c), "guess"+string(rune('a'+i)))
		c.send(auth)
		e := next[wire.Error](c)
		if e.Code != wire.CodePasswordWrong {
			t.Fatalf("guess %d: %+v, want password_wrong", i+1, e)
		}
		if i == 2 && (e.RetryMS != (10*time.Minute).Milliseconds() || !strings.Contains(e.Text, "try again in 10 min")) {
			t.Fatalf("guess 3 of 3: %+v, want a lock-out of 10 min", e)
		}
		c.ws.Close()
	}
	// A new connection from the same address, with the right password:
	// locked out before any challenge.
	c := dial(t, url, true)
	c.send(wire.Hello{V: wire.Version, Nick: "mallory"})
	e := next[wire.Error](c)
	if e.Code != wire.CodeLockedOut || e.RetryMS <= 0 || e.RetryMS > (10*time.Minute).Milliseconds() {
		t.Fatalf("after 3 wrong guesses, a new connection's hello: %+v, want locked_out", e)
	}
	g := dial(t, url, false)
	g.text()
	g.text()
	g.say("/pass " + roomPassword)
	if got := g.text(); !strings.Contains(got, "too many wrong passwords from your address: try again in") {
		t.Fatalf("a plain client from a locked-out address: %q", got)
	}
}

// Challenges taken before a lock-out do not outlive it: an address that
// opens many connections and collects a challenge on each gets no more
// guesses than one connection would.
func TestPasswordParallelGuesses(t *testing.T) {
	cfg := passwordConfig(t)
	cfg.PasswordTries = 3
	_, url := start(t, cfg)
	auths := make([]*client, 5)
	answers := make([]wire.Auth, 5)
	for i := range auths {
		auths[i] = dial(t, url, true)
		auths[i].send(wire.Hello{V: wire.Version, Nick: "mallory"})
		answers[i], _ = answer(t, next[wire.Challenge](auths[i]), "guess"+string(rune('a'+i)))
	}
	for i, c := range auths {
		c.send(answers[i])
		e := next[wire.Error](c)
		want := wire.CodePasswordWrong
		if i >= cfg.PasswordTries {
			want = wire.CodeLockedOut
		}
		if e.Code != want {
			t.Fatalf("guess %d of %d, each on its own connection: %+v, want %s", i+1, len(auths), e, want)
		}
	}
}

// /pass where it is not needed says so, and sends nothing to the room.
func TestPassWithoutPassword(t *testing.T) {
	_, url := start(t, server.Config{Logger: testLogger(t)})
	g := plain(t, url)
	g.say("/pass 1234")
	if got := g.text(); got != "* you are in already: this chat needs no password, or you gave it" {
		t.Fatalf("/pass in an open chat: %q", got)
	}
}
