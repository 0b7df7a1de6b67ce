package client_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/client"
	"parley/net/pin"
	"parley/server"
)

// tlsServer starts a Parley server with TLS from a new self-signed
// certificate; allowPlain lets plain clients in on the same port too.
func tlsServer(t *testing.T, addr string, allowPlain bool) (*testServer, pin.Fingerprint) {
	t.Helper()
	cert, err := server.LoadCertificate(t.TempDir(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := pin.CertFingerprint(cert)
	return startServer(t, addr, server.Config{TLS: server.NewTLSConfig(cert), AllowPlain: allowPlain}), fp
}

// mitm is a man in the middle on loopback: it terminates TLS with its own
// certificate and relays the decrypted bytes to the real server over a
// TLS connection of its own, as an attacker who spoofed ARP or DNS would.
type mitm struct {
	ln  net.Listener
	fp  pin.Fingerprint // the key it presents
	mu  sync.Mutex
	cns []net.Conn
	wg  sync.WaitGroup
}

func newMITM(t *testing.T, target string) *mitm {
	t.Helper()
	cert, err := pin.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	fp, _ := pin.CertFingerprint(cert)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	m := &mitm{ln: ln, fp: fp}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", target,
				&tls.Config{InsecureSkipVerify: true}) // the attacker trusts anything
			if err != nil {
				c.Close()
				continue
			}
			m.mu.Lock()
			m.cns = append(m.cns, c, up)
			m.mu.Unlock()
			m.wg.Add(2)
			go m.pipe(up, c)
			go m.pipe(c, up)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		m.mu.Lock()
		for _, c := range m.cns {
			c.Close()
		}
		m.mu.Unlock()
		m.wg.Wait()
	})
	return m
}

func (m *mitm) pipe(dst, src net.Conn) {
	defer m.wg.Done()
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}

func (m *mitm) addr() string { return m.ln.Addr().String() }

// tryDial dials once, returning the client or the error.
func tryDial(t *testing.T, cfg client.Config) (*client.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, cfg)
	if err == nil {
		chattest.Record(t, c)
	}
	return c, err
}

// wantMismatch checks that err is a pin mismatch naming want and got.
func wantMismatch(t *testing.T, err error, want, got pin.Fingerprint) {
	t.Helper()
	var pm *client.PinMismatchError
	if !errors.As(err, &pm) || !errors.Is(err, client.ErrPinMismatch) {
		t.Fatalf("error = %v; want a *client.PinMismatchError", err)
	}
	if pm.Want != want || pm.Got != got {
		t.Errorf("mismatch names want %s got %s; want %s got %s", pm.Want.Code(), pm.Got.Code(), want.Code(), got.Code())
	}
}

// TestPinnedRefusesMITM: a client given the server's fingerprint (a link
// or QR code) refuses a man in the middle that presents another
// certificate, and the server never sees it join; the same man in the
// middle, trusted, does relay a working chat, so the refusal is the pin's
// doing.
func TestPinnedRefusesMITM(t *testing.T) {
	srv, fp := tlsServer(t, "127.0.0.1:0", false)
	m := newMITM(t, srv.Addr)

	_, err := tryDial(t, client.Config{Addr: m.addr(), Nick: "victim", Fingerprint: fp, Logger: testLogger(t)})
	wantMismatch(t, err, fp, m.fp)
	if st := srv.Stats(); st.Rich+st.Plain != 0 {
		t.Errorf("the server saw %d joins through the man in the middle", st.Rich+st.Plain)
	}

	// The same with the fingerprint in the address, as a link gives it.
	_, err = tryDial(t, client.Config{Addr: m.addr() + "?fp=" + fp.String(), Nick: "victim", Logger: testLogger(t)})
	wantMismatch(t, err, fp, m.fp)

	// Trusting the attacker's key works: the relay is a real one.
	c, err := tryDial(t, client.Config{Addr: m.addr(), Nick: "fooled", Fingerprint: m.fp, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("through the relay with its own key: %v", err)
	}
	if enc, got := c.Security(); !enc || got != m.fp {
		t.Errorf("Security() = %v, %s", enc, got.Code())
	}
	chattest.WaitFor(t, "the relayed client to join", 5*time.Second, func() bool { return srv.Stats().Rich == 1 })
}

// TestTOFU: the first connection records the key; a later one to a
// server with another key is refused, and a connected client that
// reconnects into the other key stops with the mismatch instead of
// retrying.
func TestTOFU(t *testing.T) {
	real, fpReal := tlsServer(t, "127.0.0.1:0", false)
	other, fpOther := tlsServer(t, "127.0.0.1:0", false)
	p := chattest.NewRelay(t, real.Addr) // the address people use
	pins := &pin.Memory{}

	cfg := fastConfig(t, p.Addr(), "ann")
	cfg.Pins = pins
	ann, ra := joined(t, cfg)
	if got, ok := pins.Lookup(p.Addr()); !ok || got != fpReal {
		t.Fatalf("first contact pinned %s (%v), want %s", got.Code(), ok, fpReal.Code())
	}
	if enc, fp := ann.Security(); !enc || fp != fpReal {
		t.Errorf("Security() = %v, %s", enc, fp.Code())
	}

	// Someone else answers at that address now.
	p.SetTarget(other.Addr)
	cfg.Nick = "bob"
	_, err := tryDial(t, cfg)
	wantMismatch(t, err, fpReal, fpOther)
	if got, _ := pins.Lookup(p.Addr()); got != fpReal {
		t.Errorf("the mismatch changed the pin to %s", got.Code())
	}

	// ann's connection drops; her reconnect meets the other key.
	p.Cut()
	d := chattest.Next[client.Disconnected](t, ra, func(d client.Disconnected) bool { return errors.Is(d.Err, client.ErrPinMismatch) })
	if d.Retry != 0 {
		t.Errorf("after a mismatch the client retries in %v; want it to stop", d.Retry)
	}
	if st := other.Stats(); st.Rich != 0 {
		t.Errorf("the other server has %d rich clients", st.Rich)
	}
}

// TestFingerprintNeverFallsBack: a join with a fingerprint, or to a
// pinned host, fails rather than connect without TLS, however the
// address is written and whatever the server offers.
func TestFingerprintNeverFallsBack(t *testing.T) {
	plainSrv := startServer(t, "127.0.0.1:0", server.Config{})
	_, fp := tlsServer(t, "127.0.0.1:0", false)
	pinned := &pin.Memory{}
	pinned.Pin(plainSrv.Addr, fp)
	for _, tc := range []struct {
		name string
		cfg  client.Config
	}{
		{"fingerprint, bare address", client.Config{Addr: plainSrv.Addr, Fingerprint: fp}},
		{"fingerprint, ws:// address", client.Config{Addr: "ws://" + plainSrv.Addr + "/", Fingerprint: fp}},
		{"fingerprint in the address", client.Config{Addr: plainSrv.Addr + "?fp=" + fp.String()}},
		{"pinned host", client.Config{Addr: plainSrv.Addr, Pins: pinned}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Nick, tc.cfg.Logger = "careful", testLogger(t)
			c, err := tryDial(t, tc.cfg)
			if err == nil {
				enc, _ := c.Security()
				t.Fatalf("joined a plain-only server (encrypted %v)", enc)
			}
			if !errors.Is(err, client.ErrNotEncrypted) {
				t.Errorf("error = %v; want ErrNotEncrypted", err)
			}
			if st := plainSrv.Stats(); st.Conns != 0 || st.Rich+st.Plain != 0 {
				t.Errorf("the plain server saw %d connections", st.Conns)
			}
		})
	}
}

// TestAutoTLS: an address without a scheme ends encrypted on a server
// that offers TLS, whether it also takes plain clients or not; ws:// asks
// for plain and gets it where allowed.
func TestAutoTLS(t *testing.T) {
	for _, allowPlain := range []bool{false, true} {
		srv, fp := tlsServer(t, "127.0.0.1:0", allowPlain)
		pins := &pin.Memory{}
		cfg := fastConfig(t, srv.Addr, "auto")
		cfg.Pins = pins
		c, r := joined(t, cfg)
		if enc, got := c.Security(); !enc || got != fp {
			t.Errorf("allowPlain=%v: Security() = %v, %s; want encrypted with %s", allowPlain, enc, got.Code(), fp.Code())
		}
		if got, _ := pins.Lookup(srv.Addr); got != fp {
			t.Errorf("allowPlain=%v: pinned %s", allowPlain, got.Code())
		}
		c.Close()
		if !allowPlain {
			continue
		}
		cfg = fastConfig(t, "ws://"+srv.Addr+"/", "clear")
		c, r = chattest.Dial(t, cfg)
		chattest.Next[client.Connected](t, r, nil)
		if enc, _ := c.Security(); enc {
			t.Error("ws:// to a server that allows plain ended encrypted")
		}
	}
}

func TestBadFingerprintInAddress(t *testing.T) {
	for _, addr := range []string{"host:2000?fp=nope", "host:2000?fp="} {
		_, err := client.Dial(context.Background(), client.Config{Addr: addr, Nick: "x"})
		if !errors.Is(err, client.ErrBadAddress) || !strings.Contains(err.Error(), "fingerprint") {
			t.Errorf("Dial(%q) = %v; want ErrBadAddress about the fingerprint", addr, err)
		}
	}
}

// TestWSSByAuthority: an explicit wss:// address without pins or a
// fingerprint is checked by certificate authority, as a browser would
// check it; the same address with a pin store is checked by pin.
func TestWSSByAuthority(t *testing.T) {
	srv := server.New(server.Config{Logger: slog.New(slog.DiscardHandler)})
	ts := httptest.NewTLSServer(srv) // a certificate for 127.0.0.1, from httptest's own authority
	defer ts.Close()
	defer srv.Shutdown(context.Background(), "shutdown", "")
	url := "wss://" + strings.TrimPrefix(ts.URL, "https://") + "/"
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())

	c, err := tryDial(t, client.Config{Addr: url, Nick: "ca", TLSConfig: &tls.Config{RootCAs: roots}, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("by authority, trusted: %v", err)
	}
	c.Close()

	_, err = tryDial(t, client.Config{Addr: url, Nick: "ca", Logger: testLogger(t)})
	if err == nil || !errors.Is(err, client.ErrNotChatServer) || !strings.Contains(err.Error(), "does not trust") {
		t.Errorf("by authority, untrusted: %v; want the certificate refused", err)
	}

	pins := &pin.Memory{}
	c, err = tryDial(t, client.Config{Addr: url, Nick: "pinned", Pins: pins, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("with a pin store: %v", err)
	}
	if _, ok := pins.Lookup(strings.TrimPrefix(ts.URL, "https://")); !ok {
		t.Error("with a pin store, the key was not pinned")
	}
	c.Close()
}
