package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/gorilla/websocket"

	"parley/net/pin"
)

// How a Client chooses between wss:// and ws://, and whom it trusts.
//
// An address typed as ws:// or http:// means plain WebSocket, as always;
// wss:// or https:// means TLS only. An address with no scheme ("host",
// "host:port") means "the best the server offers". If the host is known
// (Config.Fingerprint, a pin in Config.Pins, or a TLS connection earlier
// in this Client's life) that is TLS only: a host once seen with TLS is
// never joined without it, or whoever can block TLS could make the
// client go plain. For an unknown host the client dials ws:// as Parley
// always did, which costs plain servers (the teaching servers and their
// kin) nothing; a Parley server that also speaks TLS on that port says so
// with the pin.Header header (in its 101, or in the 400 refusing plain
// clients), and the client then hangs up at once, before its hello, and
// dials wss://. That header comes in the clear, so on a first contact an
// attacker can remove it: trust on first use has that gap, which a link
// or QR code with the fingerprint closes (docs/SECURITY.md).
//
// Over TLS the certificate is checked by pin, not by certificate
// authority: against Config.Fingerprint when given (a link or QR code),
// else against the store's pin, else it is recorded (trust on first use).
// Either way the key seen is kept for the Client's reconnects, which must
// present it again. Only a Client with neither Fingerprint nor Pins, and
// an explicit wss:// address, verifies by certificate authority with
// Config.TLSConfig, as a browser would.

// ErrPinMismatch: the server presented a key other than the one pinned
// for it. errors.As gives the *PinMismatchError.
var ErrPinMismatch = errors.New("the server's certificate has changed")

// ErrNotEncrypted: the server answered without TLS, but this client
// connects to it over TLS only (a fingerprint was given, or its key is
// pinned). Someone may be trying to make the client go plain, or the host
// turned encryption off; the client keeps retrying, over TLS only.
var ErrNotEncrypted = errors.New("the server did not answer with encryption")

// PinMismatchError reports a server whose key is not the pinned one.
// Someone on the network may be intercepting the connection, or the host
// may have a new certificate; only a person who can ask the host knows
// which. The client does not reconnect after one.
type PinMismatchError struct {
	Host string          // host:port, as pins are kept
	Want pin.Fingerprint // the pinned key
	Got  pin.Fingerprint // the key the server presented
	// FromLink is true when Want came from Config.Fingerprint (a link or
	// QR code) rather than from the pin store or an earlier connection.
	FromLink bool
}

// Error implements error.
func (e *PinMismatchError) Error() string {
	return fmt.Sprintf("%v: %s presented key %s, but %s was expected; someone may be intercepting the connection",
		ErrPinMismatch, e.Host, e.Got.Code(), e.Want.Code())
}

// Is makes errors.Is(err, ErrPinMismatch) true.
func (e *PinMismatchError) Is(target error) bool { return target == ErrPinMismatch }

// security is a Client's choice of transport and what it trusts.
type security struct {
	host string // host:port, the pin store's key
	// tlsOnly: wss:// only. plainOnly: ws:// only. Neither: try wss://,
	// fall back to ws:// while nothing is pinned.
	tlsOnly, plainOnly bool
	want               pin.Fingerprint // from the link or Config
	pins               pin.Store       // may be nil
	byCA               bool            // verify by certificate authority, not pin

	mu   sync.Mutex
	seen pin.Fingerprint // guarded by mu: the key of this Client's last TLS connection
	tls  bool            // guarded by mu: the current connection is TLS
}

// newSecurity reads the scheme the address was typed with and a
// fingerprint it may carry (?fp=, removed from u so that it is not sent
// to the server), and settles how the Client connects.
func newSecurity(cfg *Config, u *url.URL) (*security, error) {
	sec := &security{host: u.Host, want: cfg.Fingerprint, pins: cfg.Pins}
	if q := u.Query(); q.Has(pin.Param) {
		fp, err := pin.Parse(q.Get(pin.Param))
		if err != nil {
			return sec, fmt.Errorf("%w: %w", ErrBadAddress, err)
		}
		if !sec.want.IsZero() && sec.want != fp {
			return sec, fmt.Errorf("%w: the address carries a fingerprint other than the one given", ErrBadAddress)
		}
		sec.want = fp
		q.Del(pin.Param)
		u.RawQuery = q.Encode()
	}
	typed := strings.ToLower(strings.TrimSpace(cfg.Addr))
	switch {
	case !sec.want.IsZero():
		// A fingerprint means TLS, whatever scheme came with it.
		sec.tlsOnly = true
	case u.Scheme == "wss":
		sec.tlsOnly = true
		sec.byCA = cfg.Pins == nil
	case strings.HasPrefix(typed, "ws://"), strings.HasPrefix(typed, "http://"):
		sec.plainOnly = true
	}
	return sec, nil
}

// pinned returns the key the server must present, if any, and whether it
// came from the link.
func (s *security) pinned() (pin.Fingerprint, bool) {
	if !s.want.IsZero() {
		return s.want, true
	}
	s.mu.Lock()
	seen := s.seen
	s.mu.Unlock()
	if !seen.IsZero() {
		return seen, false
	}
	if s.pins != nil {
		if fp, ok := s.pins.Lookup(s.host); ok {
			return fp, false
		}
	}
	return pin.Fingerprint{}, false
}

// tlsConfig returns the TLS settings of one attempt. Its check stores the
// key the server presented in *got.
func (s *security) tlsConfig(base *tls.Config, got *pin.Fingerprint) *tls.Config {
	var cfg *tls.Config
	if base != nil {
		cfg = base.Clone()
	} else {
		cfg = &tls.Config{}
	}
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	if s.byCA {
		return cfg
	}
	want, fromLink := s.pinned()
	// Certificate authorities play no part: a self-signed certificate is
	// the usual case, and the pin below is the whole check.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("the server presented no certificate")
		}
		*got = pin.Of(cs.PeerCertificates[0])
		if !want.IsZero() && *got != want {
			return &PinMismatchError{Host: s.host, Want: want, Got: *got, FromLink: fromLink}
		}
		return nil
	}
	return cfg
}

// trust records the key of a TLS connection that succeeded: for this
// Client's reconnects, and in the pin store if the host had no pin there.
func (s *security) trust(fp pin.Fingerprint, log func(msg string, args ...any)) {
	s.mu.Lock()
	s.seen, s.tls = fp, true
	s.mu.Unlock()
	if s.pins == nil || s.byCA {
		return
	}
	if old, ok := s.pins.Lookup(s.host); ok && old == fp {
		return
	}
	if err := s.pins.Pin(s.host, fp); err != nil {
		log("could not keep the server's key", "err", err)
		return
	}
	log("pinned the server's key", "fingerprint", fp.Code())
}

// dialSecure opens the WebSocket as the security settings say: over TLS
// with the pin check, or plain, or plain and then TLS if the server
// offers it.
func (c *Client) dialSecure(ctx context.Context, d *websocket.Dialer, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	s := c.sec
	if want, _ := s.pinned(); s.tlsOnly || !want.IsZero() {
		return c.dialTLS(ctx, d, hdr)
	}
	plain := *c.url
	plain.Scheme = "ws"
	s.setTLS(false)
	ws, resp, err := d.DialContext(ctx, plain.String(), hdr)
	if s.plainOnly || resp == nil || resp.Header.Get(pin.Header) == "" {
		return ws, resp, err
	}
	if ws != nil {
		// Nothing was said on it yet: the hello comes after this.
		ws.Close()
	}
	c.log.Info("the server offers TLS; connecting with wss://")
	return c.dialTLS(ctx, d, hdr)
}

// dialTLS dials wss:// with the pin check, and trusts the key on success.
func (c *Client) dialTLS(ctx context.Context, d *websocket.Dialer, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	secure := *c.url
	secure.Scheme = "wss"
	var got pin.Fingerprint
	d.TLSClientConfig = c.sec.tlsConfig(c.cfg.TLSConfig, &got)
	ws, resp, err := d.DialContext(ctx, secure.String(), hdr)
	if err != nil {
		if want, _ := c.sec.pinned(); !want.IsZero() && notTLS(err) {
			return nil, resp, fmt.Errorf("%w: %s answered without TLS, though it is known to use it (%v)",
				ErrNotEncrypted, c.url.Host, err)
		}
		return nil, resp, err
	}
	c.sec.trust(got, c.log.Info)
	return ws, resp, nil
}

func (s *security) setTLS(on bool) {
	s.mu.Lock()
	s.tls = on
	s.mu.Unlock()
}

// notTLS reports whether a TLS dial failed because the server answered
// something other than TLS (a plain HTTP answer), or hung up on the hello.
func notTLS(err error) bool {
	var rh tls.RecordHeaderError
	return errors.As(err, &rh) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// secureDialError is dialError that keeps this file's errors as they are.
func secureDialError(addr string, resp *http.Response, err error) error {
	var pm *PinMismatchError
	if errors.As(err, &pm) {
		return pm
	}
	if errors.Is(err, ErrNotEncrypted) {
		return err
	}
	return dialError(addr, resp, err)
}

// Security reports whether the current (or last) connection is encrypted
// and, if so, the fingerprint of the server's key, for the window to show.
func (c *Client) Security() (encrypted bool, fp pin.Fingerprint) {
	c.sec.mu.Lock()
	defer c.sec.mu.Unlock()
	return c.sec.tls, c.sec.seen
}
