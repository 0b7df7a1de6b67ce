package nickname

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"parley/net/wire"
)

// FuzzSkeleton feeds any string to Check, Skeleton and Fold: none
// panics; the keys of valid UTF-8 are valid UTF-8 and settled (the key
// of a key is itself); nicknames wire.FoldNick calls the same fold
// alike; and what Check accepts is NFKC, has no invisible code point,
// passes wire.CheckNick, is not reserved, and is accepted again as it is.
func FuzzSkeleton(f *testing.F) {
	for _, s := range []string{
		"alice", "аlice", "alice\u034F", "alice\uFE0F", "Jose\u0301", "\u3164",
		"guest-7", "GUΕST-7", "ΒΟΒ", "aIice", "Ǆ", "\uFDFA", "ﬁ", "𝐚𝐥𝐢𝐜𝐞",
		"bob\xff", "李雷", "Zoë", "İ", "ß", "ǅ", "\u0345", "a\u0308\u0301",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sk, fo := Skeleton(s), Fold(s)
		if utf8.ValidString(s) {
			if !utf8.ValidString(sk) || !utf8.ValidString(fo) {
				t.Fatalf("%+q: Skeleton %+q, Fold %+q: not valid UTF-8", s, sk, fo)
			}
			if again := Skeleton(sk); again != sk {
				t.Fatalf("%+q: Skeleton %+q, whose Skeleton is %+q", s, sk, again)
			}
			if again := Fold(fo); again != fo {
				t.Fatalf("%+q: Fold %+q, whose Fold is %+q", s, fo, again)
			}
			if lower := Fold(wire.FoldNick(s)); lower != fo {
				t.Fatalf("%+q: Fold %+q, but Fold of FoldNick %+q", s, fo, lower)
			}
		}
		nick, err := Check(s)
		if err != nil {
			if nick != "" {
				t.Fatalf("Check(%+q) = %+q with error %v", s, nick, err)
			}
			return
		}
		if !norm.NFKC.IsNormalString(nick) {
			t.Fatalf("Check(%+q) = %+q: not NFKC", s, nick)
		}
		if strings.ContainsFunc(nick, invisible) {
			t.Fatalf("Check(%+q) = %+q: holds an invisible code point", s, nick)
		}
		if w, err := wire.CheckNick(nick); err != nil || w != nick {
			t.Fatalf("Check(%+q) = %+q, which wire.CheckNick makes %+q, %v", s, nick, w, err)
		}
		if Reserved(nick) {
			t.Fatalf("Check(%+q) = %+q, which is reserved", s, nick)
		}
		if again, err := Check(nick); again != nick || err != nil {
			t.Fatalf("Check(%+q) = %+q, which Check makes %+q, %v", s, nick, again, err)
		}
	})
}
