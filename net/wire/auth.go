package wire

// Frames of the room password (docs/PROTOCOL.md, "Room password"). A
// server with a password answers a hello with a Challenge instead of a
// Welcome; the client answers with an Auth; the server checks it, sends
// an AuthOK and then the Welcome for the hello it held, or an Error
// (CodePasswordWrong, CodeLockedOut) after which the client may send a
// new hello. Byte strings (salt, nonces, proofs) are unpadded base64url.

// CapPassword, in Welcome.Caps, says the room has a password.
const CapPassword = "password"

// Frame types of the room password.
const (
	TypeChallenge Type = "challenge"
	TypeAuth      Type = "auth"
	TypeAuthOK    Type = "auth_ok"
)

// Error codes of the room password.
const (
	// CodePasswordNeeded: the room has a password and the client sent a
	// frame other than hello or auth before proving it knows it.
	CodePasswordNeeded Code = "password_needed"
	// CodePasswordWrong: the auth's proof, or a plain client's /pass, is
	// not the password's.
	CodePasswordWrong Code = "password_wrong"
	// CodeLockedOut: too many wrong passwords from the client's address;
	// Error.RetryMS says when a try will be heard again.
	CodeLockedOut Code = "locked_out"
)

// Challenge asks a client to prove it knows the room password: derive
// K = argon2id(password, Salt, T, M, P) with a 32-byte output and answer
// with Auth.
type Challenge struct {
	// Alg is the key derivation, "argon2id".
	Alg  string `json:"alg"`
	Salt string `json:"salt"`
	// T is argon2id's passes, M its memory in KiB, P its lanes.
	T uint32 `json:"t"`
	M uint32 `json:"m"`
	P uint8  `json:"p"`
	// Nonce is the server's fresh nonce, 32 bytes: never the same twice.
	Nonce string `json:"nonce"`
	// Bind, when set, is the channel binding the proofs must cover:
	// "tls-exporter", keying material exported from the TLS session
	// (net/password.Binding). A server asks for it when it terminates
	// TLS itself.
	Bind string `json:"bind,omitempty"`
}

// Auth answers a Challenge: a fresh client nonce (32 bytes) and
// Proof = HMAC-SHA256(K, client label || server nonce || client nonce).
type Auth struct {
	Nonce string `json:"nonce"`
	Proof string `json:"proof"`
}

// AuthOK accepts an Auth, just before the Welcome. Proof is the server's
// HMAC-SHA256(K, server label || server nonce || client nonce), so that
// the client knows the server, too, holds K.
type AuthOK struct {
	Proof string `json:"proof"`
}

// FrameType implements Frame.
func (Challenge) FrameType() Type { return TypeChallenge }

// FrameType implements Frame.
func (Auth) FrameType() Type { return TypeAuth }

// FrameType implements Frame.
func (AuthOK) FrameType() Type { return TypeAuthOK }

// authEnvelope is every member of the password frames. They are rare
// (one exchange per connection), so they are parsed on their own, after
// the common envelope found their type: the envelope stays as it is.
type authEnvelope struct {
	Challenge
	Proof string `json:"proof"`
}

// decodeAuth decodes a password frame of type t; ok is false for any
// other type. With client set, the frames only a server sends are
// refused with ErrServerFrame.
func decodeAuth(t Type, data []byte, client bool) (f Frame, ok bool, err error) {
	switch t {
	case TypeChallenge, TypeAuth, TypeAuthOK:
	default:
		return nil, false, nil
	}
	if client && t != TypeAuth {
		return nil, true, serverOnly(t)
	}
	var e authEnvelope
	if err := unmarshal(data, &e, nil); err != nil {
		return nil, true, err
	}
	switch t {
	case TypeChallenge:
		return e.Challenge, true, nil
	case TypeAuth:
		return Auth{Nonce: e.Nonce, Proof: e.Proof}, true, nil
	}
	return AuthOK{Proof: e.Proof}, true, nil
}
