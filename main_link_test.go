package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRunJoinLink: a join link on the command line is read before the
// window opens; a bad one is a usage error that says why, and -server
// takes none.
func TestRunJoinLink(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		errOut string
	}{
		{"bad port", []string{"parley://host:99999"}, "port"},
		{"no host", []string{"parley://"}, "names no host"},
		{"path", []string{"parley://h:1/room"}, "has a path"},
		{"with -server", []string{"-server", "parley://h:1"}, `unexpected argument "parley://h:1"`},
		{"two links", []string{"parley://h:1", "parley://h:2"}, "unexpected argument"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if status := run(tc.args, &out, &errOut); status != 2 || !strings.Contains(errOut.String(), tc.errOut) {
				t.Fatalf("run(%q) = %d\nstderr: %s", tc.args, status, errOut.String())
			}
		})
	}
}
