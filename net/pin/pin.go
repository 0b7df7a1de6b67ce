// Package pin is how Parley knows it is talking to the chat it meant to
// join, without certificate authorities: the host's certificate is
// self-signed, and clients pin its public key, as SSH pins host keys.
//
// A Fingerprint is the SHA-256 of a certificate's SubjectPublicKeyInfo,
// not of the whole certificate, so that re-issuing a certificate for the
// same key (a new validity period, other host names) keeps it. It has
// three renderings: String, the exact form that links and QR codes carry
// (the fp query parameter of a parley:// link); Code, a short code people
// read to each other; and Words, the same bits as a few words. The code
// and the words are prefixes of the hash (80 and 60 bits): enough that
// nobody can make a key to match a given code while a person is waiting,
// short enough to say aloud.
//
// The package also makes and keeps the host's certificate (LoadOrCreate)
// and defines the pin store the client consults (Store, Memory). It
// imports no GUI and no network code of Parley's own.
package pin

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
)

// Param is the query parameter that carries a fingerprint in a join link:
// parley://HOST:PORT?fp=FINGERPRINT, and likewise in ws:// and wss://
// addresses. Its value is Fingerprint.String.
const Param = "fp"

// Header is the HTTP response header with which a server says, on a
// plain connection, that the same port speaks TLS: in the 101 that
// accepts a ws:// client when plain connections are allowed too, and in
// the 400 that refuses one when they are not. A Parley client that was
// given an address without a scheme then connects again with wss://.
// Being sent in the clear, it cannot be trusted to be there: see
// docs/SECURITY.md on the first contact.
const Header = "Parley-Tls"

// Fingerprint identifies a host's public key: SHA-256 over the DER of the
// certificate's SubjectPublicKeyInfo. The zero value means none.
type Fingerprint [sha256.Size]byte

// ErrBadFingerprint reports a fingerprint that does not parse.
var ErrBadFingerprint = errors.New("not a certificate fingerprint")

// enc is base32 (RFC 4648) without padding: case-insensitive, no 0/O or
// 1/I to confuse, and uppercase fits a QR code's alphanumeric mode.
var enc = base32.StdEncoding.WithPadding(base32.NoPadding)

// Of returns the fingerprint of cert's public key.
func Of(cert *x509.Certificate) Fingerprint {
	return sha256.Sum256(cert.RawSubjectPublicKeyInfo)
}

// OfDER returns the fingerprint of the public key in a DER certificate,
// as tls.ConnectionState.PeerCertificates and tls.Certificate hold them.
func OfDER(der []byte) (Fingerprint, error) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return Fingerprint{}, fmt.Errorf("pin: %w", err)
	}
	return Of(c), nil
}

// IsZero reports whether f is the zero value (no fingerprint).
func (f Fingerprint) IsZero() bool { return f == Fingerprint{} }

// String returns the whole fingerprint as 52 lower-case base32
// characters: the form links, QR codes and pin stores carry.
func (f Fingerprint) String() string {
	return strings.ToLower(enc.EncodeToString(f[:]))
}

// codeGroups and groupLen shape Code: 4 groups of 4 characters, 80 bits.
const (
	codeGroups = 4
	groupLen   = 4
)

// Code returns the first 80 bits as four groups of four base32
// characters, "K3MQ-7XPA-2FDR-VN6T": what the host reads out and the
// person joining compares.
func (f Fingerprint) Code() string {
	s := enc.EncodeToString(f[:])
	groups := make([]string, codeGroups)
	for i := range groups {
		groups[i] = s[i*groupLen : (i+1)*groupLen]
	}
	return strings.Join(groups, "-")
}

// NumWords is how many words Words returns: 10 bits each, 60 in all.
const NumWords = 6

// Words returns the first 60 bits as six words of the embedded list (see
// words.go), for people who would rather compare words than letters.
func (f Fingerprint) Words() []string {
	out := make([]string, NumWords)
	for i := range out {
		// Bits 10i to 10i+9, most significant first.
		bit := 10 * i
		v := uint(f[bit/8])<<16 | uint(f[bit/8+1])<<8 | uint(f[bit/8+2])
		v = v >> (24 - 10 - bit%8) & 0x3ff
		out[i] = wordList()[v]
	}
	return out
}

// Parse reads a fingerprint in String's form. Case does not matter, and
// spaces, hyphens and colons are ignored, so that a fingerprint copied
// with any grouping parses.
func Parse(s string) (Fingerprint, error) {
	clean := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', ':':
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(s)))
	var f Fingerprint
	if len(clean) != enc.EncodedLen(len(f)) {
		return f, fmt.Errorf("%w: %q has %d characters, want %d", ErrBadFingerprint, s, len(clean), enc.EncodedLen(len(f)))
	}
	b, err := enc.DecodeString(clean)
	if err != nil || len(b) != len(f) {
		return f, fmt.Errorf("%w: %q is not base32", ErrBadFingerprint, s)
	}
	copy(f[:], b)
	return f, nil
}
