package server_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/pin"
	"parley/net/wire"
	"parley/server"
)

// tlsConfig returns a server configuration with TLS from a certificate
// made in a temporary folder, and that certificate's fingerprint.
func tlsConfig(t testing.TB, allowPlain bool) (server.Config, pin.Fingerprint) {
	t.Helper()
	cert, err := server.LoadCertificate(t.TempDir(), "", "")
	if err != nil {
		t.Fatal(err)
	}
	fp, err := pin.CertFingerprint(cert)
	if err != nil {
		t.Fatal(err)
	}
	cfg := secConfig(t)
	cfg.HandshakeTimeout = wait
	cfg.TLS = server.NewTLSConfig(cert)
	cfg.AllowPlain = allowPlain
	return cfg, fp
}

// pinned returns client TLS settings that accept exactly the key fp, as
// Parley's client does: by pin, not by certificate authority.
func pinned(fp pin.Fingerprint) *tls.Config {
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by the pin check below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if got := pin.Of(cs.PeerCertificates[0]); got != fp {
				return fmt.Errorf("certificate %s, pinned %s", got.Code(), fp.Code())
			}
			return nil
		},
	}
}

// dialTLS opens a WebSocket over TLS, rich or plain.
func dialTLS(t *testing.T, url string, fp pin.Fingerprint, rich bool) *client {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: wait, TLSClientConfig: pinned(fp)}
	if rich {
		d.Subprotocols = []string{wire.Subprotocol}
	}
	ws, resp, err := d.Dial(url, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", url, err, status)
	}
	t.Cleanup(func() { ws.Close() })
	return &client{t: t, ws: ws}
}

// TestTLSOnePort: wss:// (rich and plain) and https:// (the page) on one
// port, and the two kinds of client chat with each other.
func TestTLSOnePort(t *testing.T) {
	cfg, fp := tlsConfig(t, false)
	srv, url := serve(t, cfg)
	addr := strings.TrimPrefix(url, "ws://")
	if srv.Fingerprint() != fp {
		t.Fatalf("Fingerprint() = %s, want %s", srv.Fingerprint().Code(), fp.Code())
	}

	p := dialTLS(t, "wss://"+addr+"/", fp, false)
	if got := p.text(); got != wire.Greeting {
		t.Fatalf("plain greeting over wss = %q", got)
	}
	r := dialTLS(t, "wss://"+addr+"/", fp, true)
	r.send(wire.Hello{V: wire.Version, Nick: "ann"})
	r.welcome()
	p.say("hello over TLS")
	if m := next[wire.Msg](r); m.Text != "hello over TLS" {
		t.Errorf("rich client got %q", m.Text)
	}

	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: pinned(fp)}, Timeout: wait}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Parley") || resp.TLS == nil {
		t.Errorf("GET https:// = %d, TLS %v, %.80q", resp.StatusCode, resp.TLS != nil, body)
	}
	resp, err = hc.Get("https://" + addr + "/parley.js")
	if err != nil {
		t.Fatal(err)
	}
	js, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(js), `"wss://"`) {
		t.Errorf("the page's script does not pick wss:// on an https:// page: %.200q", js)
	}
}

// TestTLSRefusesPlain: on a TLS-only port a plain request gets a 400 that
// names the https:// and wss:// addresses, and no WebSocket.
func TestTLSRefusesPlain(t *testing.T) {
	cfg, _ := tlsConfig(t, false)
	srv, url := serve(t, cfg)
	addr := strings.TrimPrefix(url, "ws://")

	resp := exchange(t, addr, "GET / HTTP/1.1\r\nHost: chat.example:2000\r\n\r\n")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "https://chat.example:2000/") ||
		!strings.Contains(string(body), "wss://chat.example:2000/") {
		t.Errorf("plain GET on a TLS port = %d %q", resp.StatusCode, body)
	}

	_, resp, err := tryDial(url+"/", true, nil)
	if err == nil {
		t.Fatal("a plain ws:// client joined a TLS-only server")
	}
	if resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Errorf("plain ws:// on a TLS port: %v, response %v", err, resp)
	}
	if st := srv.Stats(); st.Conns != 0 {
		t.Errorf("%d connections after refusals", st.Conns)
	}
}

// TestTLSAllowPlain: with AllowPlain the same port also serves ws:// and
// http://, and plain and TLS clients share the room.
func TestTLSAllowPlain(t *testing.T) {
	cfg, fp := tlsConfig(t, true)
	_, url := serve(t, cfg)
	addr := strings.TrimPrefix(url, "ws://")

	clear := plain(t, url+"/")
	secure := dialTLS(t, "wss://"+addr+"/", fp, false)
	if got := secure.text(); got != wire.Greeting {
		t.Fatalf("greeting over wss = %q", got)
	}
	secure.say("from wss")
	waitLine(t, clear, "from wss")

	resp := exchange(t, addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != http.StatusOK {
		t.Errorf("plain GET / with AllowPlain = %d", resp.StatusCode)
	}
}

// waitLine reads plain lines until one contains want.
func waitLine(t *testing.T, c *client, want string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		if line := c.text(); strings.Contains(line, want) {
			return
		}
	}
	t.Fatalf("no line with %q", want)
}

// TestPlainServerAnswersTLSAtOnce: a server without TLS answers a TLS
// client at once, so that the client learns "not TLS" in one round trip
// instead of waiting out the handshake timeout.
func TestPlainServerAnswersTLSAtOnce(t *testing.T) {
	cfg := secConfig(t)
	cfg.HandshakeTimeout = time.Minute // a wait would show as a timeout below
	_, url := serve(t, cfg)
	addr := strings.TrimPrefix(url, "ws://")
	d := &net.Dialer{Timeout: wait}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(wait))
	tc := tls.Client(nc, &tls.Config{InsecureSkipVerify: true}) // the handshake must fail before any check
	err = tc.Handshake()
	var rh tls.RecordHeaderError
	if !errors.As(err, &rh) {
		t.Fatalf("TLS to a plain server: %v; want a tls.RecordHeaderError (an HTTP answer)", err)
	}
	// And the answer says what to do.
	raw, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(wait))
	io.WriteString(raw, "\x16\x03\x01\x00\x05hello")
	resp, err := http.ReadResponse(bufio.NewReader(raw), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "does not use TLS") {
		t.Errorf("answer = %d %q", resp.StatusCode, body)
	}
}

// TestTLSWrongKeyRefusedByPinnedClient: the server's certificate is what a
// pinned client checks; another server's key fails the pin.
func TestTLSWrongKeyRefusedByPinnedClient(t *testing.T) {
	cfg, _ := tlsConfig(t, false)
	_, url := serve(t, cfg)
	_, other := tlsConfig(t, false)
	d := websocket.Dialer{HandshakeTimeout: wait, TLSClientConfig: pinned(other)}
	_, _, err := d.Dial("wss://"+strings.TrimPrefix(url, "ws://")+"/", nil)
	if err == nil || !strings.Contains(err.Error(), "pinned") {
		t.Fatalf("dial with another pin: %v", err)
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		t.Errorf("the pin check did not run (CA verification did): %v", err)
	}
}

func TestLoadCertificateArgs(t *testing.T) {
	for _, tc := range []struct{ dir, cert, key string }{
		{"", "", ""}, {t.TempDir(), "c.pem", ""}, {t.TempDir(), "", "k.pem"}, {"", "nope.pem", "nope.pem"},
	} {
		if _, err := server.LoadCertificate(tc.dir, tc.cert, tc.key); err == nil {
			t.Errorf("LoadCertificate(%q, %q, %q) succeeded", tc.dir, tc.cert, tc.key)
		}
	}
}

// TestLoadCertificateFiles: -tls-cert and -tls-key load a PEM pair as it
// is (here the pair pin made), and the fingerprint is its key's.
func TestLoadCertificateFiles(t *testing.T) {
	dir := t.TempDir()
	made, err := pin.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := server.LoadCertificate("", dir+"/"+pin.CertFile, dir+"/"+pin.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := pin.CertFingerprint(made)
	if got, _ := pin.CertFingerprint(cert); got != want {
		t.Errorf("loaded fingerprint %s, want %s", got.Code(), want.Code())
	}
}
