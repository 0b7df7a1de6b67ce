package netnstest

import (
	"fmt"
	"os"
	"testing"
)

// RoleEnv names the part of a test that a copy of the test binary plays
// inside a namespace.
const RoleEnv = "PARLEY_ROLE"

// Main is the TestMain of a package whose tests run parts of themselves
// in namespaces: the test binary runs again inside one (StartRole) with
// RoleEnv naming the part, which prints what it sees, one line each, and
// ends when its stdin closes (WaitStdin). Without RoleEnv, Main runs the
// tests. It exits with the tests' or the role's code.
func Main(m *testing.M, roles map[string]func() int) {
	role := os.Getenv(RoleEnv)
	if role == "" {
		os.Exit(m.Run())
	}
	run, ok := roles[role]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown role", role)
		os.Exit(2)
	}
	os.Exit(run())
}

// StartRole runs a copy of the test binary, running no tests, in namespace
// ns as role, with extra environment.
func StartRole(t testing.TB, ns, role string, env []string) *Proc {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Start(t, ns, append(append([]string(nil), env...), RoleEnv+"="+role), exe, "-test.run=^$")
}
