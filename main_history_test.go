package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/net/wire"
	"parley/server/store"
)

// The history flags: a bad data folder stops the server with a clear
// error; -backup and -restore work on a folder.
func TestHistoryFlags(t *testing.T) {
	good := t.TempDir()
	db, err := store.Open(good, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Load(context.Background(), 1, time.Time{})
	db.Append(context.Background(), []store.Entry{{Msg: wire.Msg{ID: 1, Time: 1, From: "a", Text: "kept"}}})
	db.Close()
	corrupt := t.TempDir()
	os.WriteFile(filepath.Join(corrupt, store.FileName), []byte("this is not a database"), 0o600)
	backup := filepath.Join(t.TempDir(), "backup.db")
	restored := t.TempDir()

	for _, tc := range []struct {
		name   string
		args   []string
		status int
		out    string
		errOut string
	}{
		{"bad retain", []string{"-server", "-retain", "soon"}, 2, "", "-retain"},
		{"bad sync", []string{"-server", "-sync", "sometimes"}, 2, "", "want full or normal"},
		{"corrupt database", []string{"-server", "-addr", "127.0.0.1:0", "-data", corrupt}, 1, "",
			"not an SQLite database"},
		{"backup", []string{"-server", "-data", good, "-backup", backup}, 0, "backed up to", ""},
		{"backup exists", []string{"-server", "-data", good, "-backup", backup}, 1, "", "already exists"},
		{"backup without data", []string{"-server", "-no-history", "-backup", backup}, 2, "", "need -data"},
		{"restore", []string{"-server", "-data", restored, "-restore", backup}, 0, "restored into", ""},
		{"restore junk", []string{"-server", "-data", restored, "-restore", filepath.Join(corrupt, store.FileName)}, 1, "",
			"nothing changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			status := run(tc.args, &out, &errOut)
			if status != tc.status || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
				t.Fatalf("run(%q) = %d\nstdout: %s\nstderr: %s", tc.args, status, out.String(), errOut.String())
			}
		})
	}
	db, err = store.Open(restored, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if st, _ := db.Load(context.Background(), 10, time.Time{}); len(st.Recent) != 1 || st.Recent[0].Text != "kept" {
		t.Fatalf("restored history: %+v", st)
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"0": 0, "30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "12h": 12 * time.Hour, "1.5d": 36 * time.Hour,
	} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1d", "d", "soon", "-5h"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q) took it", in)
		}
	}
}
