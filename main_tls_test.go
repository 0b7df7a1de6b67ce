package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunTLSFlags: the TLS flags that do not fit together are refused
// before anything starts, and -tls -data makes the certificate there.
func TestRunTLSFlags(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		errOut string
	}{
		// -data has a default (the user's data folder); given empty, -tls
		// has nowhere to keep its certificate.
		{"tls without data", []string{"-server", "-tls", "-data", ""}, 2, "-tls needs -data"},
		{"plain without tls", []string{"-server", "-plain"}, 2, "-plain only matters"},
		{"cert without key", []string{"-server", "-tls-cert", "c.pem"}, 1, "needs its key"},
		{"missing cert files", []string{"-server", "-tls-cert", "nope.pem", "-tls-key", "nope.pem"}, 1, "nope.pem"},
		// The certificate is made before the listen fails.
		{"tls with data", []string{"-server", "-tls", "-data", data, "-addr", "127.0.0.1:-1"}, 1, "server failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			status := run(tc.args, &out, &errOut)
			if status != tc.status || !strings.Contains(errOut.String(), tc.errOut) {
				t.Fatalf("run(%q) = %d\nstderr: %s", tc.args, status, errOut.String())
			}
		})
	}
	for _, f := range []string{"cert.pem", "key.pem"} {
		if _, err := os.Stat(filepath.Join(data, "tls", f)); err != nil {
			t.Errorf("-tls -data did not make %s: %v", f, err)
		}
	}
}
