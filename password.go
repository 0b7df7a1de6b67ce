package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"parley/net/password"
)

// The headless server's room password comes from a file, never from the
// command line, where ps shows it to everyone on the machine.

// readPasswordFile reads -password-file: the password on its own (a
// trailing line ending is not part of it) or a hash -hash-password
// printed. It warns nothing about the file's mode: the host chose it.
func readPasswordFile(name string) (*password.Verifier, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	v, err := password.FromFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

// hashPassword reads a password, the first line of in, and prints the
// hash to keep in a password file instead of the password.
func hashPassword(in io.Reader, stdout, stderr io.Writer) int {
	line, err := bufio.NewReader(io.LimitReader(in, password.MaxPassword+2)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintf(stderr, "parley: -hash-password: %v\n", err)
		return 1
	}
	v, err := password.FromFile([]byte(line))
	if err != nil {
		fmt.Fprintf(stderr, "parley: -hash-password: %v\n", err)
		return 2
	}
	fmt.Fprintln(stdout, v.String())
	return 0
}
