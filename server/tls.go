package server

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"parley/net/pin"
)

// One port, with and without TLS.
//
// A TLS client's first byte is 0x16, the handshake record type; an HTTP
// request starts with a method's letter. Serve's accept loop looks at
// that byte (without taking it off the socket) before anything else, and:
//
//   - with Config.TLS set, runs the TLS handshake for a TLS client and
//     serves wss:// and https:// over it, exactly as it serves ws:// and
//     http:// without;
//   - with Config.TLS set and a plain client, serves it in the clear only
//     if Config.AllowPlain, and otherwise answers 400 with a page that
//     names the https:// and wss:// addresses to use instead;
//   - without Config.TLS, answers a TLS client at once with a plain-text
//     400, which its TLS stack reports as "not TLS" immediately (curl,
//     a browser, a Parley client told wss://), rather than waiting out
//     the handshake timeout for a request line that never comes.
//
// On plain connections to a TLS server the answer (the 101 or the 400)
// carries pin.Header, from which a Parley client given an address
// without a scheme learns to come back with wss:// (net/client/tls.go).

// tlsHandshake is the first byte of every TLS connection: a handshake
// record.
const tlsHandshake = 0x16

// TLSDir is the folder, under Config.DataDir, of the self-signed
// certificate and its key.
const TLSDir = "tls"

// LoadCertificate returns the certificate a server presents: the PEM
// pair in certFile and keyFile when they are given (a certificate from a
// CA, say), else the self-signed one kept in dataDir/tls, made on first
// use (see pin.LoadOrCreate).
func LoadCertificate(dataDir, certFile, keyFile string) (tls.Certificate, error) {
	switch {
	case certFile != "" || keyFile != "":
		if certFile == "" || keyFile == "" {
			return tls.Certificate{}, errors.New("server: a certificate file needs its key file, and the key its certificate")
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("server: %w", err)
		}
		return cert, nil
	case dataDir == "":
		return tls.Certificate{}, errors.New("server: a self-signed certificate needs a data folder to be kept in")
	}
	cert, err := pin.LoadOrCreate(filepath.Join(dataDir, TLSDir))
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("server: %w", err)
	}
	return cert, nil
}

// NewTLSConfig returns the TLS settings for serving cert: TLS 1.2 or
// later, HTTP/1.1 only (WebSocket upgrades need it).
func NewTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}
}

// Fingerprint returns the fingerprint of the certificate the server
// presents, or the zero Fingerprint when it serves no TLS (or presents
// certificates chosen per connection).
func (s *Server) Fingerprint() pin.Fingerprint {
	if s.cfg.TLS == nil || len(s.cfg.TLS.Certificates) == 0 {
		return pin.Fingerprint{}
	}
	fp, err := pin.CertFingerprint(s.cfg.TLS.Certificates[0])
	if err != nil {
		return pin.Fingerprint{}
	}
	return fp
}

// sniff looks at a new connection's first byte and returns the
// connection to read the request from: the TLS connection after its
// handshake, or c itself. It returns nil when it answered and closed c.
// c's deadline bounds it.
func (s *Server) sniff(c net.Conn) net.Conn {
	first, c, err := peekByte(c)
	if err != nil {
		// Gone or too slow: net/http closes these without a word.
		c.Close()
		return nil
	}
	switch {
	case first == tlsHandshake && s.cfg.TLS != nil:
		tc := tls.Server(c, s.cfg.TLS)
		if err := tc.Handshake(); err != nil {
			s.log.Debug("TLS handshake failed", "addr", c.RemoteAddr(), "err", err)
			c.Close()
			return nil
		}
		return tc
	case first == tlsHandshake:
		s.answer400(c, "This chat server does not use TLS: connect with ws:// or http://, not wss:// or https://.\n")
		return nil
	case s.cfg.TLS != nil && !s.cfg.AllowPlain:
		s.refusePlain(c)
		return nil
	}
	return c
}

// refusePlain answers a plain request on a TLS-only server with a 400
// that names the addresses to use.
func (s *Server) refusePlain(c net.Conn) {
	host := "HOST:PORT"
	br := bufio.NewReaderSize(io.LimitReader(c, int64(s.hs.MaxHeaderBytes+headSlack)), 1024)
	if r, err := http.ReadRequest(br); err == nil && r.Host != "" && len(r.Host) < 300 {
		host = r.Host
	}
	s.log.Debug("plain connection refused: TLS only", "addr", c.RemoteAddr())
	s.answer400(c, fmt.Sprintf("This Parley chat is encrypted. Open https://%s/ in a browser, or connect to wss://%s/.\n"+
		"Parley apps connect when given the address alone.\n", host, host))
}

// answer400 writes a 400 with text and closes c, taking care that the
// answer arrives: it half-closes, then reads what the client still sends
// for a moment, so that closing does not reset the connection under the
// answer.
func (s *Server) answer400(c net.Conn, text string) {
	extra := ""
	if s.cfg.TLS != nil {
		extra = pin.Header + ": wss\r\n"
	}
	fmt.Fprintf(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n%s"+
		"X-Content-Type-Options: nosniff\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", extra, len(text), text)
	if hc, ok := c.(interface{ CloseWrite() error }); ok {
		hc.CloseWrite()
	}
	c.SetReadDeadline(time.Now().Add(lingerTime))
	io.CopyN(io.Discard, c, 64<<10)
	c.Close()
}

// peekRead reads the first byte and returns a connection that reads it
// again first.
func peekRead(c net.Conn) (byte, net.Conn, error) {
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return 0, c, err
	}
	return b[0], &replayConn{Conn: c, pending: b[:]}, nil
}

// logTLS says at start-up whether connections are encrypted, and with
// which fingerprint, so that whoever runs the server can read it out.
func (s *Server) logTLS() {
	switch fp := s.Fingerprint(); {
	case s.cfg.TLS == nil:
		s.log.Info("not encrypted: serving ws:// and http:// (see -tls)")
	case fp.IsZero():
		s.log.Info("encrypted: serving wss:// and https://", "plain_too", s.cfg.AllowPlain)
	default:
		s.log.Info("encrypted: serving wss:// and https://", "plain_too", s.cfg.AllowPlain,
			"fingerprint", fp.Code(), "words", strings.Join(fp.Words(), " "), pin.Param, fp.String())
	}
}

// plainHeader returns the extra header of a 101 on c: on a plain
// connection to a server that also speaks TLS, pin.Header, so that a
// Parley client switches to wss://; otherwise none.
func (s *Server) plainHeader(c net.Conn) http.Header {
	if s.cfg.TLS == nil {
		return nil
	}
	if _, ok := c.(*tls.Conn); ok {
		return nil
	}
	return http.Header{pin.Header: {"wss"}}
}
