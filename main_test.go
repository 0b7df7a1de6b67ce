package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunFlags(t *testing.T) {
	info, err := readAppInfo()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		out    string // in stdout
		errOut string // in stderr
	}{
		{"version", []string{"-version"}, 0, "parley " + info.Details.Version + " (build ", ""},
		{"help", []string{"-h"}, 0, "", "parley -server [-addr :2000]"},
		{"unknown flag", []string{"-nope"}, 2, "", "flag provided but not defined: -nope"},
		{"stray argument", []string{"-server", "extra"}, 2, "", `unexpected argument "extra"`},
		{"bad log level", []string{"-server", "-log-level", "loud"}, 2, "", "-log-level"},
		{"bad port", []string{"-port", "70000"}, 2, "", "not a port"},
		{"cannot listen", []string{"-server", "-no-history", "-addr", "127.0.0.1:-1"}, 1, "", "server failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			status := run(tc.args, &out, &errOut)
			if status != tc.status || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
				t.Fatalf("run(%q) = %d\nstdout: %s\nstderr: %s", tc.args, status, out.String(), errOut.String())
			}
		})
	}
}

func TestAppInfo(t *testing.T) {
	info, err := readAppInfo()
	if err != nil {
		t.Fatal(err)
	}
	if info.Details.ID != "chat.parley.app" || info.Details.Name != "Parley" || info.Details.Build < 1 {
		t.Fatalf("FyneApp.toml details: %+v", info.Details)
	}
}

func TestListFlag(t *testing.T) {
	var l listFlag
	l.Set("https://a.example, b.example")
	l.Set("*")
	if got := l.String(); got != "https://a.example,b.example,*" {
		t.Fatalf("got %q", got)
	}
}
