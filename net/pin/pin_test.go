package pin_test

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"parley/net/pin"
)

// fixed is a fingerprint with known renderings: SHA-256 of "parley".
var fixed = pin.Fingerprint(sha256.Sum256([]byte("parley")))

func TestRenderings(t *testing.T) {
	s := fixed.String()
	if len(s) != 52 || strings.ToLower(s) != s {
		t.Fatalf("String() = %q: want 52 lower-case characters", s)
	}
	if !regexp.MustCompile(`^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$`).MatchString(fixed.Code()) {
		t.Errorf("Code() = %q: want four groups of four base32 characters", fixed.Code())
	}
	if !strings.HasPrefix(strings.ToLower(s), strings.ToLower(strings.ReplaceAll(fixed.Code(), "-", ""))) {
		t.Errorf("Code() %q is not a prefix of String() %q", fixed.Code(), s)
	}
	w := fixed.Words()
	if len(w) != pin.NumWords {
		t.Fatalf("Words() = %v: want %d words", w, pin.NumWords)
	}
	// Changing one bit in the first 60 changes the words.
	other := fixed
	other[7] ^= 0x10
	if strings.Join(other.Words(), " ") == strings.Join(w, " ") {
		t.Errorf("a bit in the first 60 changed, but the words did not: %v", w)
	}
	if other.Code() == fixed.Code() {
		t.Errorf("a bit in the first 80 changed, but the code did not: %s", fixed.Code())
	}
}

// TestGolden pins the renderings: links and stores already written must
// keep meaning the same key.
func TestGolden(t *testing.T) {
	got := fixed.String() + "\n" + fixed.Code() + "\n" + strings.Join(fixed.Words(), " ") + "\n"
	path := filepath.Join("testdata", "golden.txt")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(path, []byte(got), 0o644)
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("renderings changed:\n got %q\nwant %q", got, want)
	}
}

func TestParse(t *testing.T) {
	s := fixed.String()
	for _, in := range []string{s, strings.ToUpper(s), " " + s + " ", s[:4] + "-" + s[4:8] + ":" + s[8:]} {
		got, err := pin.Parse(in)
		if err != nil || got != fixed {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, fixed)
		}
	}
	for _, in := range []string{"", "abc", s[:51], s + "a", s[:51] + "1", fixed.Code()} {
		if _, err := pin.Parse(in); !errors.Is(err, pin.ErrBadFingerprint) {
			t.Errorf("Parse(%q) error = %v; want ErrBadFingerprint", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fixed.String())
	f.Add("")
	f.Add("AAAA-BBBB")
	f.Fuzz(func(t *testing.T, s string) {
		fp, err := pin.Parse(s)
		if err != nil {
			return
		}
		back, err := pin.Parse(fp.String())
		if err != nil || back != fp {
			t.Fatalf("Parse(%q).String() = %q does not parse back: %v", s, fp.String(), err)
		}
	})
}

func TestLoadOrCreate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	c1, err := pin.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	fp1, err := pin.CertFingerprint(c1)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		for name, want := range map[string]os.FileMode{"": 0o700, pin.KeyFile: 0o600, pin.CertFile: 0o600} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s has mode %#o, want %#o", filepath.Join(dir, name), fi.Mode().Perm(), want)
			}
		}
	}

	// Later runs load the same certificate.
	c2, err := pin.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fp2, _ := pin.CertFingerprint(c2); fp2 != fp1 || string(c2.Certificate[0]) != string(c1.Certificate[0]) {
		t.Errorf("second load gave another certificate (%s, was %s)", fp2.Code(), fp1.Code())
	}

	// A lost certificate is re-issued for the same key: same fingerprint.
	os.Remove(filepath.Join(dir, pin.CertFile))
	c3, err := pin.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fp3, _ := pin.CertFingerprint(c3); fp3 != fp1 || string(c3.Certificate[0]) == string(c1.Certificate[0]) {
		t.Errorf("re-issued certificate: fingerprint %s (want %s), new certificate %v", fp3.Code(), fp1.Code(),
			string(c3.Certificate[0]) != string(c1.Certificate[0]))
	}

	// Another folder, another key.
	c4, err := pin.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if fp4, _ := pin.CertFingerprint(c4); fp4 == fp1 {
		t.Error("two folders made the same key")
	}

	// A certificate for another key (two programs made the pair at once)
	// is re-issued for the key on disk.
	other := t.TempDir()
	pin.LoadOrCreate(other)
	b, _ := os.ReadFile(filepath.Join(other, pin.CertFile))
	os.WriteFile(filepath.Join(dir, pin.CertFile), b, 0o600)
	c5, err := pin.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fp5, _ := pin.CertFingerprint(c5); fp5 != fp1 {
		t.Errorf("with another key's certificate: fingerprint %s, want the key's %s", fp5.Code(), fp1.Code())
	}
}

func TestLoadOrCreateRefusesReadableKey(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes on Windows")
	}
	dir := t.TempDir()
	if _, err := pin.LoadOrCreate(dir); err != nil {
		t.Fatal(err)
	}
	os.Chmod(filepath.Join(dir, pin.KeyFile), 0o644)
	_, err := pin.LoadOrCreate(dir)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key loaded: err = %v", err)
	}
}

func TestWordList(t *testing.T) {
	b, err := os.ReadFile("words.txt")
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields(string(b))
	if len(words) != 1024 {
		t.Fatalf("%d words, want 1024", len(words))
	}
	prefixes := map[string]string{}
	for _, w := range words {
		if !regexp.MustCompile(`^[a-z]{4,6}$`).MatchString(w) {
			t.Errorf("word %q is not 4 to 6 lower-case letters", w)
		}
		if p, ok := prefixes[w[:3]]; ok {
			t.Errorf("%q and %q share their first three letters", p, w)
		}
		prefixes[w[:3]] = w
	}
}

func TestMemory(t *testing.T) {
	var m pin.Memory
	if _, ok := m.Lookup("h:1"); ok {
		t.Fatal("empty store has a pin")
	}
	m.Pin("Host.LAN:2000", fixed)
	if fp, ok := m.Lookup("host.lan:2000"); !ok || fp != fixed {
		t.Errorf("Lookup after Pin = %v, %v", fp, ok)
	}
	if _, ok := m.Lookup("host.lan:2001"); ok {
		t.Error("a pin for one port answered for another")
	}
}
