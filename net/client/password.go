package client

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/password"
	"parley/net/wire"
)

// The room password (docs/PROTOCOL.md, "Room password"): a server whose
// room has one answers the hello with a challenge; the client derives K
// from Config.Password and the challenge's salt and answers with an HMAC
// over both nonces, so the password never leaves this process. The
// server's auth_ok proves it holds K too. None of these failures is
// retried: only a person can give another password, or wait.

// Errors of the room password.
var (
	// ErrPasswordNeeded: the chat has a password and Config.Password is
	// empty.
	ErrPasswordNeeded = errors.New("this chat needs a password")
	// ErrPasswordWrong: the server refused the password.
	ErrPasswordWrong = errors.New("wrong password")
	// ErrLockedOut: too many wrong passwords from this address; the
	// error is a *LockedOutError that says for how long.
	ErrLockedOut = errors.New("too many wrong passwords")
	// ErrPasswordServer: the server asked for the password in a way this
	// client refuses (too cheap to derive, so a listener could test
	// guesses fast, or too costly), or it could not prove it knows the
	// password: it may not be the host.
	ErrPasswordServer = errors.New("the server's password check is not to be trusted")
)

// LockedOutError is the server's lock-out of this address.
type LockedOutError struct {
	// Retry is how long until the server hears a password again.
	Retry time.Duration
	// Text is the server's own words.
	Text string
}

// Error returns the server's text.
func (e *LockedOutError) Error() string {
	if e.Text != "" {
		return e.Text
	}
	return fmt.Sprintf("%v: try again in %v", ErrLockedOut, e.Retry.Round(time.Second))
}

// Is makes errors.Is(err, ErrLockedOut) true.
func (e *LockedOutError) Is(target error) bool { return target == ErrLockedOut }

// isPasswordError reports whether err is one of the password's failures,
// which the client does not retry by itself.
func isPasswordError(err error) bool {
	return errors.Is(err, ErrPasswordNeeded) || errors.Is(err, ErrPasswordWrong) ||
		errors.Is(err, ErrLockedOut) || errors.Is(err, ErrPasswordServer)
}

// passwordError returns the error of a refusal of the password, or nil
// for any other error frame.
func passwordError(f wire.Error) error {
	switch f.Code {
	case wire.CodePasswordWrong:
		if f.RetryMS > 0 {
			// The last try before a lock-out: say when to come back.
			return fmt.Errorf("%w: %w", ErrPasswordWrong, &LockedOutError{Retry: time.Duration(f.RetryMS) * time.Millisecond, Text: f.Text})
		}
		return fmt.Errorf("%w (%s)", ErrPasswordWrong, f.Text)
	case wire.CodeLockedOut:
		return &LockedOutError{Retry: time.Duration(f.RetryMS) * time.Millisecond, Text: f.Text}
	case wire.CodePasswordNeeded:
		return fmt.Errorf("%w (%s)", ErrPasswordNeeded, f.Text)
	}
	return nil
}

// keyCache keeps the last K derived, so that a reconnect to the same
// server (same salt and parameters) does not derive again.
type keyCache struct {
	mu     sync.Mutex
	salt   []byte
	params password.Params
	key    []byte
}

func (kc *keyCache) get(pw string, salt []byte, p password.Params) []byte {
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if kc.key != nil && kc.params == p && bytes.Equal(kc.salt, salt) {
		return kc.key
	}
	kc.salt, kc.params, kc.key = salt, p, password.Derive(pw, salt, p)
	return kc.key
}

// exchange is one connection's password exchange, as hello sees it.
type exchange struct {
	want     []byte // the server proof expected, once an auth is sent
	verified bool   // auth_ok came with that proof
}

// answer answers a challenge with an auth frame.
func (c *Client) answer(ws *websocket.Conn, ch wire.Challenge, ex *exchange, deadline time.Time) error {
	if c.cfg.Password == "" {
		return fmt.Errorf("%w: %s asked for it", ErrPasswordNeeded, c.url.Host)
	}
	p := password.Params{Time: ch.T, Memory: ch.M, Threads: ch.P}
	if ch.Alg != password.Alg {
		return fmt.Errorf("%w: it asked for key derivation %q", ErrPasswordServer, ch.Alg)
	}
	if err := p.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrPasswordServer, err)
	}
	salt, err := password.Decode(ch.Salt, password.SaltSize)
	if err != nil {
		return fmt.Errorf("%w: its challenge: %w", ErrNotChatServer, err)
	}
	snonce, err := password.Decode(ch.Nonce, password.NonceSize)
	if err != nil {
		return fmt.Errorf("%w: its challenge: %w", ErrNotChatServer, err)
	}
	bind, err := binding(ws, ch.Bind)
	if err != nil {
		return err
	}
	k := c.keys.get(c.cfg.Password, salt, p)
	cnonce := password.Nonce()
	data, err := wire.Encode(wire.Auth{Nonce: password.Encode(cnonce), Proof: password.Encode(password.ClientProof(k, snonce, cnonce, bind))})
	if err != nil {
		return err
	}
	ex.want, ex.verified = password.ServerProof(k, snonce, cnonce, bind), false
	ws.SetWriteDeadline(deadline)
	if err := ws.WriteMessage(websocket.TextMessage, data); err != nil {
		return fmt.Errorf("%w: answering the password challenge: %v", ErrConnLost, err)
	}
	return nil
}

// accepted checks the server's proof in auth_ok.
func (ex *exchange) accepted(ok wire.AuthOK) error {
	proof, err := password.Decode(ok.Proof, password.KeySize)
	if ex.want == nil || err != nil || !bytes.Equal(proof, ex.want) {
		return fmt.Errorf("%w: it accepted the password without proving it knows it; it may not be the host", ErrPasswordServer)
	}
	ex.verified = true
	return nil
}

// welcomed checks, at the welcome, that an answered challenge was
// accepted with the server's proof.
func (ex *exchange) welcomed() error {
	if ex.want != nil && !ex.verified {
		return fmt.Errorf("%w: it let this client in without proving it knows the password", ErrPasswordServer)
	}
	return nil
}

// binding returns the channel binding a challenge asks for: none, or
// the TLS session's exported keying material. A server that terminates
// TLS asks for it; if this connection is not TLS, something between
// the two speaks TLS to the server and plain text to this client, and
// the client refuses.
func binding(ws *websocket.Conn, kind string) ([]byte, error) {
	switch kind {
	case "":
		return nil, nil
	case password.BindTLS:
		tc, ok := ws.NetConn().(*tls.Conn)
		if !ok {
			return nil, fmt.Errorf("%w: it asks for an answer bound to TLS, but this connection is not encrypted: something between may be intercepting it", ErrPasswordServer)
		}
		b, err := password.Binding(tc.ConnectionState())
		if err != nil {
			return nil, fmt.Errorf("%w: binding the answer to TLS: %v", ErrPasswordServer, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: it asks for channel binding %q", ErrPasswordServer, kind)
}
