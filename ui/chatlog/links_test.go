package chatlog_test

import (
	"strings"
	"testing"

	"parley/ui/chatlog"
)

func TestFindLinks(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"no links here", nil},
		{"see https://example.com/a?b=c#d now", []string{"https://example.com/a?b=c#d"}},
		{"HTTP://EXAMPLE.COM.", []string{"HTTP://EXAMPLE.COM"}},
		{"(https://en.wikipedia.org/wiki/Go_(programming_language))", []string{"https://en.wikipedia.org/wiki/Go_(programming_language)"}},
		{"(see http://a.example/x), ok", []string{"http://a.example/x"}},
		{"two: http://a.example and https://b.example/!", []string{"http://a.example", "https://b.example/"}},
		{"no host http:// here", nil},
		{"xhttp://evil.example is not a word start", nil},
		{"ftp://files.example is not linked", nil},
		{`quoted "https://q.example/p" end`, []string{"https://q.example/p"}},
		{"<https://angle.example>", []string{"https://angle.example"}},
		{"unicode https://example.com/日本", []string{"https://example.com/日本"}},
		{"http", nil},
		{"https:", nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var got []string
			for _, s := range chatlog.FindLinks(tt.text) {
				got = append(got, tt.text[s.Start:s.End])
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("FindLinks = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzFindLinks(f *testing.F) {
	f.Add("see https://example.com/(x). and http://a.b")
	f.Add("hTtPs://")
	f.Fuzz(func(t *testing.T, s string) {
		last := 0
		for _, sp := range chatlog.FindLinks(s) {
			if sp.Start < last || sp.End <= sp.Start || sp.End > len(s) {
				t.Fatalf("bad span %+v in %q", sp, s)
			}
			last = sp.End
		}
	})
}
