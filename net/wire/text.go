package wire

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text and nickname errors. CheckNick and CheckText wrap them.
var (
	ErrNickEmpty   = errors.New("nickname is empty")
	ErrNickLong    = fmt.Errorf("nickname is longer than %d characters", MaxNick)
	ErrNickChars   = errors.New("nickname may contain only letters, digits and - _ . ' [ ] { } | ^ `")
	ErrNickPrefix  = errors.New("nickname may not start with - . or '")
	ErrTextEmpty   = errors.New("message is empty")
	ErrTextLong    = errors.New("message is too long")
	ErrTextInvalid = errors.New("message is not valid UTF-8")
)

const nickPunct = "-_.'[]{}|^`"

// CheckNick trims spaces around s and checks it as a nickname: 1 to MaxNick
// characters, each a letter, a digit, a combining mark or one of
// - _ . ' [ ] { } | ^ `, not starting with - . or '. Spaces, control
// and formatting characters (bidirectional overrides among them) are never
// allowed, so a nickname cannot break a line or disguise itself.
func CheckNick(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrNickEmpty
	}
	if !utf8.ValidString(s) {
		return "", ErrNickChars
	}
	if utf8.RuneCountInString(s) > MaxNick {
		return "", ErrNickLong
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r):
		case unicode.IsMark(r) && i > 0:
		case r < utf8.RuneSelf && strings.ContainsRune(nickPunct, r):
			if i == 0 && strings.ContainsRune("-.'", r) {
				return "", ErrNickPrefix
			}
		default:
			return "", ErrNickChars
		}
	}
	return s, nil
}

// FoldNick returns the form of a nickname under which two nicknames are
// the same user: "Alice" and "alice" cannot both be in a room.
func FoldNick(s string) string {
	return strings.ToLower(s)
}

// CleanText makes chat text safe to show anywhere: CR LF, lone CR and the
// Unicode line breaks (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR) become
// LF, so that a line break is always one a plain-text line can indent;
// other control characters (C0 but tab and LF, DEL, C1, which carry
// terminal escape sequences) and bidirectional overrides are removed;
// blank lines and spaces at either end are trimmed. It does not check the
// length; CheckText does.
func CleanText(s string) string {
	if isClean(s) {
		return trimBlank(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue // the LF follows
			}
			b.WriteByte('\n')
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case lineBreak(r):
			// Browsers and some terminals start a new line here: make it
			// one that PlainLine indents, not a line of its own.
			b.WriteByte('\n')
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case dropRune(r):
		default:
			b.WriteRune(r)
		}
	}
	return trimBlank(b.String())
}

// isClean reports whether CleanText would change nothing but the ends of
// s, so that the common case costs one pass and no allocation.
func isClean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				if r == utf8.RuneError || r == '\r' || lineBreak(r) || (r != '\n' && r != '\t' && dropRune(r)) {
					return false
				}
			}
			return true
		}
		if c == '\r' || (c != '\n' && c != '\t' && dropRune(rune(c))) {
			return false
		}
	}
	return true
}

// lineBreak reports whether r is a Unicode line break other than CR and
// LF: NEL (a C1 control), LINE SEPARATOR or PARAGRAPH SEPARATOR.
func lineBreak(r rune) bool {
	return r == 0x85 || r == 0x2028 || r == 0x2029
}

// dropRune reports whether r is a control or a bidirectional formatting
// character that CleanText removes.
func dropRune(r rune) bool {
	if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
		return true
	}
	switch {
	case r >= 0x202a && r <= 0x202e, // LRE RLE PDF LRO RLO
		r >= 0x2066 && r <= 0x2069, // LRI RLI FSI PDI
		r == 0x200e || r == 0x200f, // LRM RLM
		r == 0x061c,                // ALM
		r == 0xfeff:                // BOM, zero width no-break space
		return true
	}
	return false
}

func trimBlank(s string) string {
	return strings.TrimFunc(s, unicode.IsSpace)
}

// CheckText validates chat text for sending: valid UTF-8, not empty once
// cleaned, at most maxBytes bytes once cleaned (no limit when maxBytes is
// zero or less). It returns the cleaned text.
func CheckText(s string, maxBytes int) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrTextInvalid
	}
	s = CleanText(s)
	if s == "" {
		return "", ErrTextEmpty
	}
	if maxBytes > 0 && len(s) > maxBytes {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrTextLong, len(s), maxBytes)
	}
	return s, nil
}

// PlainLine formats a chat message for a plain-text client as "nick: text".
// The continuation lines of a multi-line text are indented under the text,
// so that no line of someone's message can pass for a line of its own,
// such as a forged "bob: ..." line.
func PlainLine(from, text string) string {
	if !strings.Contains(text, "\n") {
		return from + ": " + text
	}
	indent := strings.Repeat(" ", utf8.RuneCountInString(from)+2)
	return from + ": " + strings.ReplaceAll(text, "\n", "\n"+indent)
}

// PlainNotice formats a line from the server for a plain-text client. The
// "* " prefix cannot be a nickname's start, so it cannot be forged.
func PlainNotice(text string) string {
	return "* " + strings.ReplaceAll(text, "\n", "\n  ")
}
