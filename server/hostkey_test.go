package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"parley/server"
)

// The headless server's host key is made once, kept private to its
// owner, and the same on every start.
func TestLoadHostKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	key, path, err := server.LoadHostKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(key) != 32 || path != filepath.Join(dir, server.HostKeyFile) {
		t.Fatalf("key %q at %s", key, path)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("host key file mode %v, want 0600", st.Mode().Perm())
	}
	again, _, err := server.LoadHostKey(dir)
	if err != nil || again != key {
		t.Errorf("second load: %q, %v; want %q", again, err, key)
	}
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.LoadHostKey(dir); err == nil {
		t.Error("a short key was accepted")
	}
}
