package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// -password-file takes the password, or the hash -hash-password prints;
// a missing or empty file stops the server before it listens.
func TestPasswordFile(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if status := hashPassword(strings.NewReader("1234\n"), &out, &errOut); status != 0 {
		t.Fatalf("hashPassword: %d, %s", status, errOut.String())
	}
	hash := strings.TrimSpace(out.String())
	if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "1234") {
		t.Fatalf("hash %q", hash)
	}
	for _, tc := range []struct{ name, content string }{{"plain", "1234\n"}, {"hashed", hash + "\n"}} {
		name := filepath.Join(dir, tc.name)
		if err := os.WriteFile(name, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		v, err := readPasswordFile(name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !v.CheckPassword("1234") || v.CheckPassword("1234\n") {
			t.Fatalf("%s: the file's password is not the room's", tc.name)
		}
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	for _, args := range [][]string{
		{"-server", "-no-history", "-addr", "127.0.0.1:0", "-password-file", filepath.Join(dir, "missing")},
		{"-server", "-no-history", "-addr", "127.0.0.1:0", "-password-file", empty},
	} {
		out.Reset()
		errOut.Reset()
		if status := run(args, &out, &errOut); status != 2 || !strings.Contains(errOut.String(), "-password-file") {
			t.Errorf("run(%q) = %d, stderr %q; want 2 naming -password-file", args, status, errOut.String())
		}
	}
}
