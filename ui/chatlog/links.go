package chatlog

import (
	"net/url"
	"strings"
)

// Span is a byte range of a text.
type Span struct{ Start, End int }

// FindLinks returns the http and https URLs in text, in order, as byte
// ranges. A URL runs to the next space or to a character that cannot end
// one; closing punctuation at its end (a full stop, a comma, a bracket
// that closes one opened before the URL) is left out, so that "see
// (https://example.com/a)." links only the address. Only URLs with a host
// are returned.
func FindLinks(text string) []Span {
	var spans []Span
	for i := 0; i < len(text); {
		j := indexScheme(text[i:])
		if j < 0 {
			break
		}
		start := i + j
		end := start
		for end < len(text) && urlChar(text[end]) {
			end++
		}
		end = start + trimURL(text[start:end])
		if isLink(text[start:end]) {
			spans = append(spans, Span{start, end})
		}
		if end <= start {
			end = start + 1
		}
		i = end
	}
	return spans
}

// indexScheme finds the next "http://" or "https://", in any case, that
// starts a word.
func indexScheme(s string) int {
	off := 0
	for {
		i := indexFold(s[off:], "http")
		if i < 0 {
			return -1
		}
		i += off
		rest := s[i+4:]
		if (strings.HasPrefix(rest, "://") || (len(rest) > 0 && (rest[0] == 's' || rest[0] == 'S') && strings.HasPrefix(rest[1:], "://"))) &&
			(i == 0 || !wordByte(s[i-1])) {
			return i
		}
		off = i + 4
	}
}

func indexFold(s, lowerSub string) int {
	for i := 0; i+len(lowerSub) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(lowerSub)], lowerSub) {
			return i
		}
	}
	return -1
}

// wordByte reports whether c belongs to a word, so that "xhttp://" is not
// taken for a URL.
func wordByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

// urlChar reports whether c may appear in a URL as people paste them:
// anything printable but spaces, quotes and angle brackets. Non-ASCII
// bytes are allowed (internationalised paths and hosts).
func urlChar(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '"', '<', '>', '`':
		return false
	}
	return c > 0x20 && c != 0x7f
}

// trimURL returns the length of u without the punctuation that more
// likely ends the sentence than the URL.
func trimURL(u string) int {
	for len(u) > 0 {
		switch c := u[len(u)-1]; c {
		case '.', ',', ';', ':', '!', '?', '\'', '*':
			u = u[:len(u)-1]
			continue
		case ')', ']', '}':
			open := "([{"[strings.IndexByte(")]}", c)]
			if strings.Count(u, string(open)) < strings.Count(u, string(c)) {
				u = u[:len(u)-1]
				continue
			}
		}
		break
	}
	return len(u)
}

func isLink(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (strings.EqualFold(u.Scheme, "http") || strings.EqualFold(u.Scheme, "https")) && u.Host != ""
}
