package main

import "testing"

func TestParseSyscw(t *testing.T) {
	for _, c := range []struct {
		io   string
		want uint64
	}{
		{"rchar: 6976\nwchar: 10\nsyscr: 10\nsyscw: 4321\nread_bytes: 0\n", 4321},
		{"rchar: 1\n", 0},
		{"syscw:\n", 0},
	} {
		if got := parseSyscw([]byte(c.io)); got != c.want {
			t.Errorf("parseSyscw(%q) = %d, want %d", c.io, got, c.want)
		}
	}
}
