package discovery

import (
	"maps"
	"strings"
	"testing"
)

func TestInfoRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   Info
	}{
		{"plain", Info{Room: "Parley", Version: 1, People: 3}},
		{"unicode room", Info{Room: "Café 東京", Version: 1}},
		{"private room (issue 12)", Info{Room: "R", Version: 2, People: 1, Password: true, Fingerprint: "ab12cd"}},
		{"unknown keys kept", Info{Room: "R", Version: 1, Extra: map[string]string{"future": "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseTXT(tt.in.TXT())
			if !got.equal(tt.in) {
				t.Fatalf("ParseTXT(TXT(%+v)) = %+v", tt.in, got)
			}
		})
	}
}

func TestTXTLeavesOutUnsetOptionalFields(t *testing.T) {
	txt := Info{Room: "R", Version: 1}.TXT()
	want := map[string]string{"room": "R", "v": "1", "people": "0"}
	if !maps.Equal(txt, want) {
		t.Fatalf("TXT = %v, want %v", txt, want)
	}
}

func TestParseTXTBadInput(t *testing.T) {
	got := ParseTXT(map[string]string{"ROOM": "R", "v": "x", "people": "-4", "pw": "true"})
	if got.Room != "R" || got.Version != 0 || got.People != 0 || !got.Password {
		t.Fatalf("ParseTXT = %+v", got)
	}
}

func TestTXTClipsLongValues(t *testing.T) {
	room := strings.Repeat("é", 300)
	v := Info{Room: room}.TXT()["room"]
	if len(v) > maxValue || !strings.HasPrefix(room, v) || len(v) == 0 {
		t.Fatalf("clipped room is %d bytes, valid prefix %v", len(v), strings.HasPrefix(room, v))
	}
}

func TestCutInstance(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Café on vm", "Cafe on vm"},
		{"東京 on vm", "on vm"},
		{"\x07bell", "bell"},
		{"東京", "Parley"},
		{strings.Repeat("a", 80), strings.Repeat("a", 63)},
	}
	for _, tt := range tests {
		if got := cutInstance(tt.in); got != tt.want {
			t.Errorf("cutInstance(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	tests := []struct{ in, want string }{
		{`room=Caf\195\169`, "room=Café"},
		{`a\"b\\c`, `a"b\c`},
		{`\255x`, "\uFFFDx"},
		{`trailing\`, `trailing\`},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := unescape(tt.in); got != tt.want {
			t.Errorf("unescape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
