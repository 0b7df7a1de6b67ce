// Package nickname decides which nicknames a room accepts, and when two
// nicknames are too alike to belong to two people.
//
// wire.CheckNick says which characters a nickname may have; this package
// adds what needs Unicode's data beyond the standard library, so that
// net/wire stays standard library only:
//
//   - a nickname is normalised to NFKC, so that one name has one
//     encoding (NFD "José" is NFC "José", fullwidth "ａｌｉｃｅ" is "alice");
//   - default-ignorable code points and variation selectors are refused:
//     they render as nothing, so "alice" followed by one is another
//     nickname that looks like "alice", and a name made only of Hangul
//     fillers renders blank;
//   - nicknames are compared by their confusable skeletons (Unicode
//     Technical Standard #39, section 4), so that "аlice" with a Cyrillic
//     "а" is refused while "alice" is in the room;
//   - guest-N, and anything that looks like it, is kept for the server
//     to hand out to plain clients.
package nickname

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"

	"parley/net/wire"
)

// GuestPrefix starts the nicknames the server gives plain clients:
// guest-1, guest-2 and so on. Check refuses them, and their look-alikes,
// to everyone else.
const GuestPrefix = "guest-"

// Errors Check returns besides those of wire.CheckNick.
var (
	ErrInvisible = errors.New("nickname may not contain invisible characters")
	ErrReserved  = errors.New("nicknames like " + GuestPrefix + "N are kept for the server to give plain clients")
)

// Check normalises a nickname a client asked for and checks it: spaces
// around it are trimmed, it is normalised to NFKC, it must have no
// default-ignorable code point or variation selector, it must pass
// wire.CheckNick, and it must not be, or look like, a guest-N. It returns
// the nickname as the room will show it.
func Check(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return "", wire.ErrNickChars
	}
	// NFKC can make a string up to 18 times longer (U+FDFA): bound the
	// work before it. Composition can also make it shorter, so the bound
	// is loose and wire.CheckNick applies the real one afterwards.
	if utf8.RuneCountInString(s) > 4*wire.MaxNick {
		return "", wire.ErrNickLong
	}
	s = norm.NFKC.String(s)
	for _, r := range s {
		if invisible(r) {
			return "", fmt.Errorf("%w: %U", ErrInvisible, r)
		}
	}
	s, err := wire.CheckNick(s)
	if err != nil {
		return "", err
	}
	if Reserved(s) {
		return "", ErrReserved
	}
	return s, nil
}

// invisible reports whether r is a default-ignorable code point or a
// variation selector. The set is Other_Default_Ignorable_Code_Point, the
// variation selectors and every format character (Cf): Unicode's
// Default_Ignorable_Code_Point and the few format characters it leaves
// out (interlinear annotation marks, Egyptian hieroglyph format controls,
// prepended concatenation marks), which wire.CheckNick refuses anyway.
func invisible(r rune) bool {
	return unicode.In(r, unicode.Other_Default_Ignorable_Code_Point,
		unicode.Variation_Selector, unicode.Cf)
}

// Skeleton returns the confusable skeleton of s (UTS #39, section 4):
// s in NFD, each code point replaced by its prototype from the Unicode
// confusables table, then NFD again. Two strings with the same skeleton
// look alike. Case matters here: "I" and "l" share a skeleton, "a" and
// "A" do not. A skeleton is for comparing, never for showing.
//
// The table is not quite closed under its own mapping: a few prototypes
// hold a mark that maps further (U+01C4 "Ǆ" gives a caron, which the
// table makes a breve). Skeleton maps again until nothing changes, so
// that a skeleton is its own skeleton.
func Skeleton(s string) string {
	return settle(s, skeleton)
}

// skeleton is one pass of UTS #39's skeleton: NFD, the confusables
// table, NFD.
func skeleton(s string) string {
	return confusables.Skeleton(s)
}

// Fold returns the key under which two nicknames are one person's when
// case is ignored as well as look: s lower-cased, then its skeleton,
// lower-cased again, until that changes nothing. "Alice", "ALICE",
// "аlice" (Cyrillic "а") and "b0b" against "bob" fold alike. Nicknames
// equal under wire.FoldNick always fold alike.
//
// Skeleton and Fold catch different twins, so a room compares both:
// lower-casing first loses "I" looking like "l" ("aIice" against
// "alice"), and lower-casing Greek capitals turns them into letters that
// look like nothing Latin ("ΒΟΒ" against "BOB").
func Fold(s string) string {
	return settle(strings.ToLower(s), func(k string) string {
		return strings.ToLower(skeleton(k))
	})
}

// settleRounds bounds settle. No code point changes more than twice
// under Skeleton or Fold before it settles (measured over all of them);
// TestSettles and FuzzSkeleton check that what they return is settled.
const settleRounds = 8

// settle applies f to s until it changes nothing, at most settleRounds
// times.
func settle(s string, f func(string) string) string {
	for range settleRounds {
		next := f(s)
		if next == s {
			break
		}
		s = next
	}
	return s
}

// guestPrefix and guestDigits are GuestPrefix and the ten digits as
// Fold maps them, for Reserved.
var guestPrefix, guestDigits = Fold(GuestPrefix), func() (d [10]string) {
	for i := range d {
		d[i] = Fold(string(rune('0' + i)))
	}
	return d
}()

// Reserved reports whether s is a guest-N, or looks like one in any case:
// the server hands those out to plain clients, so nobody else may take
// one, or pass for one ("GUEST-1", "guеst-1" with a Cyrillic "е",
// "guest-l", "GUΕST-1" with a Greek "Ε"). It is broader than the room's
// comparison: a name that looks like any guest-N in any case is refused,
// where the room refuses a name only next to the one it looks like.
func Reserved(s string) bool {
	return guestLike(Fold(s)) || guestLike(Fold(Skeleton(s)))
}

// guestLike reports whether key, a Fold, is that of GuestPrefix followed
// by one or more digits.
func guestLike(key string) bool {
	rest, ok := strings.CutPrefix(key, guestPrefix)
	if !ok || rest == "" {
		return false
	}
next:
	for rest != "" {
		for _, d := range guestDigits {
			if after, ok := strings.CutPrefix(rest, d); ok {
				rest = after
				continue next
			}
		}
		return false
	}
	return true
}
