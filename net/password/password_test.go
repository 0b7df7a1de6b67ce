package password_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"parley/net/password"
)

func TestVerifier(t *testing.T) {
	v, err := password.New("correct horse", password.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if !v.CheckPassword("correct horse") {
		t.Fatal("the right password was refused")
	}
	for _, wrong := range []string{"", "correct horse ", "Correct horse", strings.Repeat("x", password.MaxPassword+1)} {
		if v.CheckPassword(wrong) {
			t.Fatalf("%q was accepted", wrong)
		}
	}
	// A client that derives K from the challenge's salt and parameters
	// makes the proof the verifier expects; any other password does not.
	sn, cn := password.Nonce(), password.Nonce()
	k := password.Derive("correct horse", v.Salt(), v.Params())
	if !v.CheckProof(sn, cn, nil, password.ClientProof(k, sn, cn, nil)) {
		t.Fatal("the right proof was refused")
	}
	if v.CheckProof(cn, sn, nil, password.ClientProof(k, sn, cn, nil)) {
		t.Fatal("a proof for swapped nonces was accepted")
	}
	if v.CheckProof(sn, cn, nil, password.ServerProof(k, sn, cn, nil)) {
		t.Fatal("the server's proof passed as the client's")
	}
	bad := password.Derive("wrong horse", v.Salt(), v.Params())
	if v.CheckProof(sn, cn, nil, password.ClientProof(bad, sn, cn, nil)) {
		t.Fatal("a wrong password's proof was accepted")
	}
	if !bytes.Equal(v.ServerProof(sn, cn, nil), password.ServerProof(k, sn, cn, nil)) {
		t.Fatal("server proofs differ")
	}
	// Bound to a TLS session, a proof passes for that session only.
	b1, b2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	if !v.CheckProof(sn, cn, b1, password.ClientProof(k, sn, cn, b1)) {
		t.Fatal("a bound proof was refused")
	}
	if v.CheckProof(sn, cn, b2, password.ClientProof(k, sn, cn, b1)) || v.CheckProof(sn, cn, nil, password.ClientProof(k, sn, cn, b1)) {
		t.Fatal("a proof bound to another session, or to none, was accepted")
	}
	// NFC: é typed as e + U+0301 is the same password as U+00E9.
	w, err := password.New("caf\u00e9", password.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if !w.CheckPassword("cafe\u0301") {
		t.Fatal("an NFD spelling of the password was refused")
	}
}

func TestPHC(t *testing.T) {
	v, err := password.New("1234", password.Params{})
	if err != nil {
		t.Fatal(err)
	}
	s := v.String()
	if !strings.HasPrefix(s, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(s, "1234") {
		t.Fatalf("String() = %q", s)
	}
	back, err := password.FromFile([]byte(s + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !back.CheckPassword("1234") || back.CheckPassword("1235") {
		t.Fatal("the parsed verifier checks differently")
	}
	plain, err := password.FromFile([]byte("1234\r\n"))
	if err != nil || !plain.CheckPassword("1234") {
		t.Fatalf("a password file with a line ending: %v", err)
	}
	for _, bad := range []string{"$argon2id$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43),
		"$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$QUFB", "$argon2id$"} {
		if _, err := password.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if _, err := password.FromFile([]byte("\n")); !errors.Is(err, password.ErrEmpty) {
		t.Fatalf("an empty password file: %v, want ErrEmpty", err)
	}
}

func TestParamsCheck(t *testing.T) {
	for _, tc := range []struct {
		p  password.Params
		ok bool
	}{
		{password.Default, true},
		{password.Params{Time: 5, Memory: 7 * 1024, Threads: 1}, true},
		{password.Params{Time: 1, Memory: 19 * 1024, Threads: 1}, false}, // too little work in all
		{password.Params{Time: 16, Memory: 1024, Threads: 1}, false},     // too little memory
		{password.Params{Time: 2, Memory: 1 << 20, Threads: 1}, false},   // a gigabyte
		{password.Params{Time: 2, Memory: 19 * 1024, Threads: 0}, false},
	} {
		if err := tc.p.Check(); (err == nil) != tc.ok {
			t.Errorf("%+v.Check() = %v, want ok=%v", tc.p, err, tc.ok)
		}
	}
}

func TestDecode(t *testing.T) {
	n := password.Nonce()
	got, err := password.Decode(password.Encode(n), password.NonceSize)
	if err != nil || !bytes.Equal(got, n) {
		t.Fatalf("Decode(Encode) = %x, %v", got, err)
	}
	for _, bad := range []string{"", "!!!!", password.Encode(n[:31]), password.Encode(n) + "A"} {
		if _, err := password.Decode(bad, password.NonceSize); !errors.Is(err, password.ErrMalformed) {
			t.Errorf("Decode(%q): %v, want ErrMalformed", bad, err)
		}
	}
}

// TestWorkedExample pins the worked example of docs/PROTOCOL.md ("Room
// password"), so that another implementation can check itself against it.
func TestWorkedExample(t *testing.T) {
	salt, _ := password.Decode("cGFybGV5LXJvb20tc2FsdA", password.SaltSize)
	sn, _ := password.Decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", password.NonceSize)
	cn, _ := password.Decode("__79_Pv6-fj39vX08_Lx8O_u7ezr6uno5-bl5OPi4eA", password.NonceSize)
	if string(salt) != "parley-room-salt" || sn[31] != 31 || cn[0] != 0xff {
		t.Fatal("the example's inputs do not decode as documented")
	}
	k := password.Derive("open sesame", salt, password.Params{Time: 2, Memory: 19456, Threads: 1})
	for _, tc := range []struct{ name, got, want string }{
		{"K", fmt.Sprintf("%x", k), "3f01d507a9069e67478766addd9fd558e1450ba402471d17a46461443971ff45"},
		{"client proof", password.Encode(password.ClientProof(k, sn, cn, nil)), "eAhsxs106Mxab_UvYuzct1mZAG1S1a6j89xwLSYjYPg"},
		{"server proof", password.Encode(password.ServerProof(k, sn, cn, nil)), "emYy-OpIQg6f44-gN8JtC7W8QyKlf8QQObnzvDdcmT4"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %s, want %s", tc.name, tc.got, tc.want)
		}
	}
}
