// Package password derives and checks the proofs of a room password
// (docs/PROTOCOL.md, "Room password"). The server keeps only a salted
// argon2id key K of the password; a rich client derives the same K from
// the password and the salt the server sends, and proves it knows K with
// an HMAC over two fresh nonces, so that the password never crosses the
// wire. A plain client sends the password itself (/pass), and the server
// derives K from it to compare.
//
// K is password-equivalent: whoever steals it can answer challenges. It
// never leaves the server, which keeps it in memory only, or in a file
// of the host's choosing (Verifier.String).
package password

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"
)

// Alg is the one key derivation this version speaks, as named in
// challenge frames.
const Alg = "argon2id"

// Sizes, in bytes.
const (
	KeySize   = 32 // K, and every proof (HMAC-SHA256)
	SaltSize  = 16
	NonceSize = 32
	// MaxPassword bounds what a server derives a key from, so that a
	// plain client cannot make it hash a megabyte.
	MaxPassword = 256
)

// Params are argon2id's cost parameters.
type Params struct {
	Time    uint32 // passes over memory
	Memory  uint32 // KiB
	Threads uint8
}

// Default is what a server uses: OWASP's first argon2id choice (19 MiB,
// two passes, one thread), about 30 ms on a laptop core.
var Default = Params{Time: 2, Memory: 19 * 1024, Threads: 1}

// Errors of this package.
var (
	// ErrWeakParams: a challenge asks for so little work that a server
	// impostor could test guesses against the answer cheaply, or for so
	// much that deriving would exhaust the client. A client refuses it.
	ErrWeakParams = errors.New("password: challenge parameters out of range")
	// ErrMalformed: a salt, nonce or proof that is not unpadded base64url
	// of the right size, or a stored hash that cannot be read.
	ErrMalformed = errors.New("password: malformed value")
	// ErrEmpty: an empty password.
	ErrEmpty = errors.New("password: empty password")
	// ErrTooLong: a password over MaxPassword bytes.
	ErrTooLong = errors.New("password: password too long")
)

// Check reports whether a client should derive with p. The floor is
// OWASP's weakest argon2id line (7 MiB, five passes) as a product of
// memory and passes; the ceiling keeps a hostile server from asking a
// client for gigabytes or minutes.
func (p Params) Check() error {
	switch {
	case p.Threads < 1 || p.Threads > 16,
		p.Time < 1 || p.Time > 16,
		p.Memory < 7*1024 || p.Memory > 256*1024,
		uint64(p.Time)*uint64(p.Memory) < 5*7*1024:
		return fmt.Errorf("%w: t=%d m=%d p=%d", ErrWeakParams, p.Time, p.Memory, p.Threads)
	}
	return nil
}

// Normalize returns the form of a password that is derived from: NFC,
// so that the same word typed on two systems that compose accents
// differently is the same password. Nothing else is changed: spaces
// count.
func Normalize(pw string) string { return norm.NFC.String(pw) }

// Derive returns K for pw, salt and p.
func Derive(pw string, salt []byte, p Params) []byte {
	return argon2.IDKey([]byte(Normalize(pw)), salt, p.Time, p.Memory, p.Threads, KeySize)
}

// Proof labels: the client's and the server's proofs are HMACs of
// different messages, so that neither can be replayed as the other.
const (
	clientLabel = "parley.v1 room password: client\x00"
	serverLabel = "parley.v1 room password: server\x00"
)

func mac(k []byte, label string, snonce, cnonce, binding []byte) []byte {
	h := hmac.New(sha256.New, k)
	h.Write([]byte(label))
	h.Write(snonce)
	h.Write(cnonce)
	h.Write(binding)
	return h.Sum(nil)
}

// ClientProof is what a client sends to prove it knows K. binding is the
// TLS channel binding the challenge asked for (Binding), or nil.
func ClientProof(k, snonce, cnonce, binding []byte) []byte {
	return mac(k, clientLabel, snonce, cnonce, binding)
}

// ServerProof is what a server sends to prove it knows K too.
func ServerProof(k, snonce, cnonce, binding []byte) []byte {
	return mac(k, serverLabel, snonce, cnonce, binding)
}

// Channel binding: over TLS, the proofs also cover keying material
// exported from the TLS session (RFC 5705; RFC 8446 section 7.5), which
// differs on each side of a man in the middle who terminates TLS. So a
// proof relayed through one does not pass, even on a first contact that
// trusted the wrong key.
const (
	// BindTLS names the binding in a challenge's bind member.
	BindTLS = "tls-exporter"
	// BindLabel is the exporter label.
	BindLabel = "EXPORTER-parley-room-password"
)

// Binding returns the channel binding of a TLS connection: 32 bytes
// exported under BindLabel. It fails on a TLS 1.2 session without the
// extended master secret, whose exports are not unique to it.
func Binding(cs tls.ConnectionState) ([]byte, error) {
	return cs.ExportKeyingMaterial(BindLabel, nil, 32)
}

// Nonce returns NonceSize fresh random bytes.
func Nonce() []byte {
	b := make([]byte, NonceSize)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return b
}

// Encode writes bytes as the protocol does: unpadded base64url.
func Encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Decode reads unpadded base64url of exactly n bytes.
func Decode(s string, n int) ([]byte, error) {
	if len(s) != base64.RawURLEncoding.EncodedLen(n) {
		return nil, fmt.Errorf("%w: %d characters, want %d", ErrMalformed, len(s), base64.RawURLEncoding.EncodedLen(n))
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return b, nil
}

// Verifier is what a server keeps of a room password: the salt, the
// parameters and K. It is safe for concurrent use (it never changes).
type Verifier struct {
	salt   []byte
	params Params
	key    []byte
}

// New hashes pw with a fresh salt and p (Default when zero).
func New(pw string, p Params) (*Verifier, error) {
	if p == (Params{}) {
		p = Default
	}
	if err := checkPassword(pw); err != nil {
		return nil, err
	}
	salt := make([]byte, SaltSize)
	rand.Read(salt)
	return &Verifier{salt: salt, params: p, key: Derive(pw, salt, p)}, nil
}

func checkPassword(pw string) error {
	switch {
	case pw == "":
		return ErrEmpty
	case len(pw) > MaxPassword:
		return fmt.Errorf("%w: over %d bytes", ErrTooLong, MaxPassword)
	}
	return nil
}

// Salt returns the salt, for a challenge.
func (v *Verifier) Salt() []byte { return v.salt }

// Params returns the parameters, for a challenge.
func (v *Verifier) Params() Params { return v.params }

// CheckProof reports, in time independent of where they differ, whether
// proof is the client proof for the nonces and the binding.
func (v *Verifier) CheckProof(snonce, cnonce, binding, proof []byte) bool {
	return hmac.Equal(ClientProof(v.key, snonce, cnonce, binding), proof)
}

// ServerProof is the server's proof for the nonces and the binding.
func (v *Verifier) ServerProof(snonce, cnonce, binding []byte) []byte {
	return ServerProof(v.key, snonce, cnonce, binding)
}

// CheckPassword derives K from pw and reports whether it is this
// verifier's. It costs one derivation: the caller bounds how many run at
// once.
func (v *Verifier) CheckPassword(pw string) bool {
	if checkPassword(pw) != nil {
		return false
	}
	return subtle.ConstantTimeCompare(Derive(pw, v.salt, v.params), v.key) == 1
}

// String returns the verifier in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$key, unpadded standard base64), which
// Parse reads back: what a host may keep in a password file instead of
// the password.
func (v *Verifier) String() string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, v.params.Memory, v.params.Time,
		v.params.Threads, b64.EncodeToString(v.salt), b64.EncodeToString(v.key))
}

// Parse reads a verifier written by String.
func Parse(s string) (*Verifier, error) {
	parts := strings.Split(strings.TrimSpace(s), "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != Alg || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, fmt.Errorf("%w: not an argon2id v=%d PHC string", ErrMalformed, argon2.Version)
	}
	var p Params
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil || threads > 255 {
		return nil, fmt.Errorf("%w: parameters %q", ErrMalformed, parts[3])
	}
	p.Threads = uint8(threads)
	if err := p.Check(); err != nil {
		return nil, err
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 {
		return nil, fmt.Errorf("%w: salt", ErrMalformed)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("%w: key", ErrMalformed)
	}
	return &Verifier{salt: salt, params: p, key: key}, nil
}

// FromFile reads a password file's content: a PHC string written by
// String, or else the password itself, without the line ending a text
// editor adds.
func FromFile(content []byte) (*Verifier, error) {
	s := strings.TrimRight(string(content), "\r\n")
	if strings.HasPrefix(s, "$"+Alg+"$") {
		return Parse(s)
	}
	return New(s, Params{})
}
