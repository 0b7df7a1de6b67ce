package client_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/password"
	"parley/net/pin"
	"parley/net/wire"
	"parley/server"
)

const roomPassword = "purple elephant 42"

var roomVerifier = sync.OnceValue(func() *password.Verifier {
	v, err := password.New(roomPassword, password.Params{})
	if err != nil {
		panic(err)
	}
	return v
})

// tap records every byte a client writes to its connections.
type tap struct {
	mu  sync.Mutex
	out []byte
	cur []net.Conn
}

func (tp *tap) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tp.mu.Lock()
	tp.cur = append(tp.cur, nc)
	tp.mu.Unlock()
	return &tapConn{Conn: nc, tp: tp}, nil
}

// cut closes every connection, as a network failure would.
func (tp *tap) cut() {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	for _, nc := range tp.cur {
		nc.Close()
	}
}

type tapConn struct {
	net.Conn
	tp *tap
}

func (c *tapConn) Write(b []byte) (int, error) {
	c.tp.mu.Lock()
	c.tp.out = append(c.tp.out, b...)
	c.tp.mu.Unlock()
	return c.Conn.Write(b)
}

// frames unmasks the WebSocket frames in what a client wrote on one or
// more connections (each an HTTP request head, then masked frames) and
// returns their payloads.
func (tp *tap) frames(t *testing.T) []string {
	tp.mu.Lock()
	b := append([]byte(nil), tp.out...)
	tp.mu.Unlock()
	var out []string
	for len(b) > 0 {
		if strings.HasPrefix(string(b), "GET ") {
			end := strings.Index(string(b), "\r\n\r\n")
			if end < 0 {
				t.Fatalf("a request head without its end: %q", b)
			}
			b = b[end+4:]
			continue
		}
		n, h, ok := chattest.FrameLen(b)
		if !ok || b[1]&0x80 == 0 || len(b) < h+4+n {
			t.Fatalf("not a whole masked client frame: % x", b[:min(len(b), 16)])
		}
		key, payload := b[h:h+4], append([]byte(nil), b[h+4:h+4+n]...)
		for i := range payload {
			payload[i] ^= key[i%4]
		}
		out = append(out, string(payload))
		b = b[h+4+n:]
	}
	return out
}

// A rich client joins a room with a password, and nothing it sends
// holds the password, in any spelling: the frames are captured on the
// wire and unmasked. It answers the challenge again on a reconnect.
func TestPasswordNeverSent(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{Password: roomVerifier()})
	tp := &tap{}
	cfg := fastConfig(t, srv.Addr, "alice")
	cfg.Password = roomPassword
	cfg.NetDial = tp.dial
	c, r := chattest.Dial(t, cfg)
	con := chattest.Next[client.Connected](t, r, nil)
	if !strings.Contains(strings.Join(con.Welcome.Caps, " "), wire.CapPassword) {
		t.Errorf("welcome caps %v lack %q", con.Welcome.Caps, wire.CapPassword)
	}
	if _, err := c.Send("hello with a password"); err != nil {
		t.Fatal(err)
	}
	chattest.Next[client.Message](t, r, isMsg("hello with a password"))
	tp.cut()
	chattest.Next[client.Connected](t, r, func(e client.Connected) bool { return e.Resumed })

	frames := tp.frames(t)
	auths := 0
	spellings := []string{roomPassword, base64.StdEncoding.EncodeToString([]byte(roomPassword)),
		base64.RawURLEncoding.EncodeToString([]byte(roomPassword)), hex.EncodeToString([]byte(roomPassword)),
		strings.ReplaceAll(roomPassword, " ", "\\u0020"), "purple"}
	for _, f := range frames {
		if strings.HasPrefix(f, `{"type":"auth"`) {
			auths++
		}
		for _, s := range spellings {
			if strings.Contains(f, s) {
				t.Fatalf("the client sent %q, which holds the password as %q", f, s)
			}
		}
	}
	if auths != 2 || len(frames) < 5 {
		t.Fatalf("captured %d frames with %d auths, want 2 connections each answering a challenge:\n%s",
			len(frames), auths, strings.Join(frames, "\n"))
	}
}

// The password's failures are typed, and none is retried by itself.
func TestPasswordErrors(t *testing.T) {
	srv := startServer(t, "127.0.0.1:0", server.Config{Password: roomVerifier(), PasswordTries: 2, PasswordLockout: time.Minute})
	try := func(pw string) error {
		cfg := fastConfig(t, srv.Addr, "bob")
		cfg.Password = pw
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := client.Dial(ctx, cfg)
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := try(""); !errors.Is(err, client.ErrPasswordNeeded) {
		t.Fatalf("no password: %v, want ErrPasswordNeeded", err)
	}
	if err := try("purple elephant 41"); !errors.Is(err, client.ErrPasswordWrong) || errors.Is(err, client.ErrLockedOut) {
		t.Fatalf("a wrong password: %v, want ErrPasswordWrong", err)
	}
	// The second wrong one starts the lock-out and says so.
	err := try("purple elephant 40")
	var lo *client.LockedOutError
	if !errors.Is(err, client.ErrPasswordWrong) || !errors.As(err, &lo) || lo.Retry != time.Minute {
		t.Fatalf("the last wrong password: %v, want ErrPasswordWrong and a lock-out of a minute", err)
	}
	// Locked out: even the right password is not heard.
	err = try(roomPassword)
	if !errors.As(err, &lo) || lo.Retry <= 0 || lo.Retry > time.Minute || !strings.Contains(err.Error(), "try again in") {
		t.Fatalf("the right password while locked out: %v, want a *LockedOutError", err)
	}
}

// fakeServer answers a rich client's hello as script says, to play a
// server that is not the host.
func fakeServer(t *testing.T, script func(ws *websocket.Conn, h wire.Hello)) string {
	up := websocket.Upgrader{Subprotocols: []string{wire.Subprotocol}}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		f, err := wire.DecodeClient(data)
		if h, ok := f.(wire.Hello); ok && err == nil {
			script(ws, h)
		}
	}))
	t.Cleanup(ts.Close)
	return strings.TrimPrefix(ts.URL, "http://")
}

func write(ws *websocket.Conn, f wire.Frame) {
	data, _ := wire.Encode(f)
	ws.WriteMessage(websocket.TextMessage, data)
}

// A server that is not the host: it asks for a cheap derivation (to test
// guesses against the answer fast), or accepts any answer without the
// proof that it knows the password. The client refuses both.
func TestPasswordImpostor(t *testing.T) {
	salt, nonce := password.Encode([]byte("0123456789abcdef")), password.Encode(password.Nonce())
	welcome := wire.Welcome{V: 1, Nick: "bob", Session: "s", Epoch: "e", Users: []wire.User{{Nick: "bob"}}, History: []wire.Msg{}}
	for _, tc := range []struct {
		name   string
		script func(ws *websocket.Conn, h wire.Hello)
	}{
		{"cheap challenge", func(ws *websocket.Conn, h wire.Hello) {
			write(ws, wire.Challenge{Alg: password.Alg, Salt: salt, T: 1, M: 8, P: 1, Nonce: nonce})
			ws.ReadMessage()
		}},
		{"unknown derivation", func(ws *websocket.Conn, h wire.Hello) {
			write(ws, wire.Challenge{Alg: "md5", Salt: salt, T: 2, M: 19456, P: 1, Nonce: nonce})
			ws.ReadMessage()
		}},
		{"no proof", func(ws *websocket.Conn, h wire.Hello) {
			write(ws, wire.Challenge{Alg: password.Alg, Salt: salt, T: 2, M: 19456, P: 1, Nonce: nonce})
			if _, _, err := ws.ReadMessage(); err == nil {
				write(ws, wire.AuthOK{Proof: password.Encode(make([]byte, 32))})
				write(ws, welcome)
				ws.ReadMessage()
			}
		}},
		{"welcome without auth_ok", func(ws *websocket.Conn, h wire.Hello) {
			write(ws, wire.Challenge{Alg: password.Alg, Salt: salt, T: 2, M: 19456, P: 1, Nonce: nonce})
			if _, _, err := ws.ReadMessage(); err == nil {
				write(ws, welcome)
				ws.ReadMessage()
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := fastConfig(t, fakeServer(t, tc.script), "bob")
			cfg.Password = roomPassword
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := client.Dial(ctx, cfg)
			if err == nil {
				c.Close()
			}
			if !errors.Is(err, client.ErrPasswordServer) {
				t.Fatalf("Dial: %v, want ErrPasswordServer", err)
			}
		})
	}
}

// Over TLS the answer is bound to the TLS session: a man in the middle on
// a first contact, whose key the client trusted, relays the challenge
// and the answer, and the server refuses the answer. Joined directly, the
// same client gets in.
func TestPasswordBoundToTLS(t *testing.T) {
	cert, err := server.LoadCertificate(t.TempDir(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "127.0.0.1:0", server.Config{TLS: server.NewTLSConfig(cert), Password: roomVerifier()})
	m := newMITM(t, srv.Addr)
	cfg := fastConfig(t, "wss://"+m.addr(), "ann")
	cfg.Password = roomPassword
	cfg.Pins = &pin.Memory{} // a first contact: the man in the middle's key is trusted
	c, err := tryDial(t, cfg)
	if err == nil {
		c.Close()
		t.Fatal("the man in the middle relayed the password's proof and got in")
	}
	if !errors.Is(err, client.ErrPasswordWrong) {
		t.Fatalf("through the man in the middle: %v, want ErrPasswordWrong", err)
	}
	cfg.Addr, cfg.Pins = "wss://"+srv.Addr, &pin.Memory{}
	if _, err := tryDial(t, cfg); err != nil {
		t.Fatalf("directly: %v", err)
	}
}
