package ui

import "testing"

func TestWithoutFingerprint(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"host:2000", "host:2000"},
		{"host:2000?fp=abc", "host:2000"},
		{"wss://host:2000/?fp=abc", "wss://host:2000/"},
		{"host:2000?x=1&fp=abc", "host:2000?x=1"},
		{"host:2000?%zz", "host:2000?%zz"}, // not a query it can read: left as it is
	} {
		if got := withoutFingerprint(tc.in); got != tc.want {
			t.Errorf("withoutFingerprint(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
