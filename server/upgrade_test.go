package server

import "testing"

// validHost accepts host[:port] as RFC 3986 has it, and nothing that
// would make Host mean something else (user information, a path, spaces).
func TestValidHost(t *testing.T) {
	for h, want := range map[string]bool{
		"h":                 true,
		"h:2000":            true,
		"h:":                true, // RFC 3986 allows an empty port
		"chat.example.com":  true,
		"192.168.1.10:2000": true,
		"[::1]":             true,
		"[::1]:2000":        true,
		"a%2Db":             true,
		"xn--caf-dma.fr":    true,
		"":                  false,
		":2000":             false,
		"a b":               false,
		"a/b":               false,
		"u@h":               false,
		"h:x":               false,
		"h:20 00":           false,
		"[::1":              false,
		"[::1]x":            false,
		"[1.2.3.4]":         false,
		"[fe80::1%25eth0]":  false,
		"::1":               false,
		"a%zz":              false,
		"a%2":               false,
		"é.example":         false,
	} {
		if got := validHost(h); got != want {
			t.Errorf("validHost(%q) = %v, want %v", h, got, want)
		}
	}
}
