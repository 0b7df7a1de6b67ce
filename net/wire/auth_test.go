package wire_test

import (
	"errors"
	"reflect"
	"testing"

	"parley/net/wire"
)

// authFrames are the password frames. They join frames, so that the
// golden, round-trip and fuzz tests of every frame cover them too.
var authFrames = []struct {
	name  string
	frame wire.Frame
}{
	{"challenge", wire.Challenge{Alg: "argon2id", Salt: "c2FsdHNhbHRzYWx0c2FsdA", T: 2, M: 19456, P: 1,
		Nonce: "bm9uY2Vub25jZW5vbmNlbm9uY2Vub25jZW5vbmNlMTI"}},
	{"challenge_tls", wire.Challenge{Alg: "argon2id", Salt: "c2FsdHNhbHRzYWx0c2FsdA", T: 2, M: 19456, P: 1,
		Nonce: "bm9uY2Vub25jZW5vbmNlbm9uY2Vub25jZW5vbmNlMTI", Bind: "tls-exporter"}},
	{"auth", wire.Auth{Nonce: "Y25vbmNlY25vbmNlY25vbmNlY25vbmNlY25vbmNlMTI",
		Proof: "cHJvb2Zwcm9vZnByb29mcHJvb2Zwcm9vZnByb29mMTI"}},
	{"auth_ok", wire.AuthOK{Proof: "c3Byb29mc3Byb29mc3Byb29mc3Byb29mc3Byb29mMTI"}},
	{"error_password_wrong", wire.Error{Code: wire.CodePasswordWrong, Text: "wrong password; 4 tries left"}},
	{"error_locked_out", wire.Error{Code: wire.CodeLockedOut, Text: "too many wrong passwords: try again in 30 s", RetryMS: 30000}},
	{"welcome_password", wire.Welcome{V: 1, Nick: "alice", Session: "s", Epoch: "e", Users: []wire.User{}, History: []wire.Msg{},
		Caps: []string{wire.CapHistory, wire.CapSearch, wire.CapPassword}}},
}

func init() {
	for _, f := range authFrames {
		frames = append(frames, struct {
			name  string
			frame wire.Frame
		}{f.name, f.frame})
	}
}

// TestDecodeAuth: the password frames' own rules, as a server and as a
// client read them.
func TestDecodeAuth(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      wire.Frame
		err       error // from Decode
		clientErr error // from DecodeClient
	}{
		{"auth", `{"type":"auth","nonce":"n","proof":"p","extra":1}`, wire.Auth{Nonce: "n", Proof: "p"}, nil, nil},
		{"challenge from a client", `{"type":"challenge","salt":"s"}`, wire.Challenge{Salt: "s"}, nil, wire.ErrServerFrame},
		{"auth_ok from a client", `{"type":"auth_ok","proof":"p"}`, wire.AuthOK{Proof: "p"}, nil, wire.ErrServerFrame},
		{"lanes over a byte", `{"type":"challenge","p":256}`, nil, wire.ErrMalformed, wire.ErrServerFrame},
		{"negative passes", `{"type":"challenge","t":-1}`, nil, wire.ErrMalformed, wire.ErrServerFrame},
		{"proof is a number", `{"type":"auth","proof":5}`, nil, wire.ErrMalformed, wire.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkDecode(t, "Decode", tc.in, tc.want, tc.err)
			checkDecode(t, "DecodeClient", tc.in, tc.want, tc.clientErr)
		})
	}
}

// FuzzDecodeAuth checks the password frames as the server meets them:
// DecodeClient never panics, fails only with the documented errors, and
// accepts of them only auth, which encodes and decodes back unchanged.
func FuzzDecodeAuth(f *testing.F) {
	for _, tc := range authFrames {
		data, err := wire.Encode(tc.frame)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"auth","nonce":"\u0000","proof":"\ud800"}`))
	f.Add([]byte(`{"type":"challenge","t":4294967296}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := wire.DecodeClient(data)
		if err != nil {
			if !errors.Is(err, wire.ErrMalformed) && !errors.Is(err, wire.ErrUnknownType) && !errors.Is(err, wire.ErrServerFrame) {
				t.Fatalf("DecodeClient error %v is not a documented one", err)
			}
			return
		}
		switch fr.(type) {
		case wire.Challenge, wire.AuthOK:
			t.Fatalf("DecodeClient accepted a server's %s frame: %q", fr.FrameType(), data)
		case wire.Auth:
			again, err := wire.Encode(fr)
			if err != nil {
				t.Fatal(err)
			}
			back, err := wire.DecodeClient(again)
			if err != nil || !reflect.DeepEqual(back, fr) {
				t.Fatalf("auth round trip: %#v, %v; want %#v", back, err, fr)
			}
		}
	})
}
