package server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/internal/chattest"
	"parley/net/pin"
	"parley/net/wire"
)

// FuzzHandshakeTLS drives the first-byte sniff of a TLS-only server with
// arbitrary bytes: whatever does not start a TLS handshake must get the
// 400 that names wss://, a broken TLS hello must end without a hang, the
// connection must be released, and a wss:// client must still be greeted.
func FuzzHandshakeTLS(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: " + strings.Repeat("h", 400) + "\r\n\r\n",
		"\x16",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
		"\x16\x03\x01\x00\x05hello",
		"\x80\x01",
		"",
	} {
		f.Add([]byte(s))
	}
	cert, err := pin.LoadOrCreate(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	fp, _ := pin.CertFingerprint(cert)
	s := New(Config{MaxConnsPerIP: -1, HandshakeTimeout: 2 * time.Second, PingInterval: time.Hour, TLS: NewTLSConfig(cert)})
	addr := chattest.Serve(f, s, chattest.Options{Closed: ErrClosed}).Addr

	f.Fuzz(func(t *testing.T, input []byte) {
		out, err := sendRaw(addr, input)
		if err != nil {
			t.Fatal(err)
		}
		if len(input) > 0 && input[0] != tlsHandshake {
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
			if err != nil {
				t.Fatalf("a plain request got no HTTP answer (%v): %.200q", err, out)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get(pin.Header) == "" {
				t.Fatalf("a plain request on a TLS-only port got %s, %s %q", resp.Status, pin.Header, resp.Header.Get(pin.Header))
			}
		}
		// The server goes on: a wss:// client is greeted.
		nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{
			InsecureSkipVerify: true, // checked by pin below
			VerifyConnection: func(cs tls.ConnectionState) error {
				if pin.Of(cs.PeerCertificates[0]) != fp {
					t.Error("another key")
				}
				return nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		nc.Write([]byte("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
		buf := make([]byte, 512)
		var got []byte
		for !bytes.Contains(got, []byte(wire.Greeting)) {
			n, err := nc.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				t.Fatalf("after the input, a wss:// client got %.300q: %v", got, err)
			}
		}
		nc.Close()
		deadline := time.Now().Add(5 * time.Second)
		for s.Stats().Conns > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%d connections still held", s.Stats().Conns)
			}
			time.Sleep(time.Millisecond)
		}
	})
}
