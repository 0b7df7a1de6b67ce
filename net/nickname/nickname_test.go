package nickname_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"parley/net/nickname"
	"parley/net/wire"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		err            error
	}{
		// Ordinary names stay as they are.
		{"ascii", "alice", "alice", nil},
		{"digits and punctuation", "bob_2", "bob_2", nil},
		{"accent", "José", "José", nil},
		{"diaeresis", "Zoë", "Zoë", nil},
		{"Han", "李雷", "李雷", nil},
		{"Cyrillic", "Наташа", "Наташа", nil},
		{"Greek", "Σωκράτης", "Σωκράτης", nil},
		{"Arabic", "مريم", "مريم", nil},
		{"Devanagari with marks", "अनुष्का", "अनुष्का", nil},
		{"guest without a number", "guest", "guest", nil},
		{"guest- and a word", "guest-bob", "guest-bob", nil},
		{"guest- and a number and more", "guest-7a", "guest-7a", nil},
		{"spaces trimmed", "  carol ", "carol", nil},

		// NFKC: one name, one encoding.
		{"NFD to NFC", "Jose\u0301", "José", nil},
		{"NFD diaeresis", "Zoe\u0308", "Zoë", nil},
		{"fullwidth", "ａｌｉｃｅ", "alice", nil},
		{"ligature", "ﬁona", "fiona", nil},
		{"mathematical letters", "𝐚𝐥𝐢𝐜𝐞", "alice", nil},
		{"circled digit", "bob①", "bob1", nil},

		// Invisible code points, each after a name that is otherwise fine.
		{"combining grapheme joiner", "alice\u034F", "", nickname.ErrInvisible},
		{"variation selector 16", "alice\uFE0F", "", nickname.ErrInvisible},
		{"variation selector 1", "alice\uFE00", "", nickname.ErrInvisible},
		{"Mongolian free variation selector", "alice\u180B", "", nickname.ErrInvisible},
		{"variation selector supplement", "alice\U000E0100", "", nickname.ErrInvisible},
		{"zero width joiner", "al\u200Dice", "", nickname.ErrInvisible},
		{"zero width non-joiner", "al\u200Cice", "", nickname.ErrInvisible},
		{"soft hyphen", "al\u00ADice", "", nickname.ErrInvisible},
		{"word joiner", "alice\u2060", "", nickname.ErrInvisible},
		{"Khmer inherent vowel", "alice\u17B4", "", nickname.ErrInvisible},
		{"tag character", "alice\U000E0041", "", nickname.ErrInvisible},

		// Names that render blank: Hangul fillers, alone or together.
		{"Hangul filler", "\u3164", "", nickname.ErrInvisible},
		{"Hangul choseong filler", "\u115F", "", nickname.ErrInvisible},
		{"Hangul jungseong filler", "\u1160", "", nickname.ErrInvisible},
		{"halfwidth Hangul filler", "\uFFA0", "", nickname.ErrInvisible},
		{"Hangul fillers", "\u3164\u115F\u1160\uFFA0", "", nickname.ErrInvisible},
		{"Hangul filler after a name", "bob\u3164", "", nickname.ErrInvisible},

		// guest-N is the server's, and so is anything that looks like it.
		{"guest-N", "guest-7", "", nickname.ErrReserved},
		{"guest-N, long", "guest-1234567890", "", nickname.ErrReserved},
		{"guest-N, capitals", "GUEST-7", "", nickname.ErrReserved},
		{"guest-N, Cyrillic e", "guеst-7", "", nickname.ErrReserved},
		{"guest-N, fullwidth digit", "guest-７", "", nickname.ErrReserved},
		{"guest-N, l for 1", "guest-l", "", nickname.ErrReserved},
		{"guest-N, O for 0", "guest-1O", "", nickname.ErrReserved},
		{"guest-N, Greek capitals", "GUΕST-7", "", nickname.ErrReserved},

		// wire.CheckNick still applies, after normalisation.
		{"empty", "", "", wire.ErrNickEmpty},
		{"only spaces", "   ", "", wire.ErrNickEmpty},
		{"space inside", "two words", "", wire.ErrNickChars},
		{"escape", "evil\x1b[2J", "", wire.ErrNickChars},
		{"invalid UTF-8", "bob\xff", "", wire.ErrNickChars},
		{"too long", strings.Repeat("x", wire.MaxNick+1), "", wire.ErrNickLong},
		{"too long before NFKC", strings.Repeat("x", 4*wire.MaxNick+1), "", wire.ErrNickLong},
		{"too long after NFKC", "\uFDFA\uFDFA", "", wire.ErrNickLong}, // 18 characters each
		{"NFKC makes a space", "a\u00A0b", "", wire.ErrNickChars},
		{"bad start after NFKC", "．bob", "", wire.ErrNickPrefix},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := nickname.Check(tc.in)
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("Check(%+q) = %+q, %v; want %+q, %v", tc.in, got, err, tc.want, tc.err)
			}
		})
	}
}

// TestCheckNFD checks that what Check returns is NFKC, for a name whose
// NFD and NFC forms differ in bytes.
func TestCheckNFD(t *testing.T) {
	nfd, nfc := "Jose\u0301", "Jos\u00e9"
	got, err := nickname.Check(nfd)
	if err != nil || got != nfc || !norm.NFKC.IsNormalString(got) {
		t.Fatalf("Check(%+q) = %+q, %v; want %+q", nfd, got, err, nfc)
	}
}

// TestInvisibleMessage checks that the error names the code point.
func TestInvisibleMessage(t *testing.T) {
	_, err := nickname.Check("alice\u034F")
	if err == nil || !strings.Contains(err.Error(), "U+034F") || !strings.Contains(err.Error(), "invisible") {
		t.Fatalf("Check: %v, want an error about the invisible U+034F", err)
	}
}

func TestAlike(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		fold bool // same Fold
		skel bool // same Skeleton
	}{
		{"alice", "alice", true, true},
		{"alice", "ALICE", true, false},
		{"alice", "аlice", true, true}, // Cyrillic а
		{"alice", "alicе", true, true}, // Cyrillic е
		{"alice", "aIice", false, true},
		{"Alice", "АLICE", true, false}, // Cyrillic А
		{"BOB", "ΒΟΒ", false, true},     // Greek capitals
		{"bob", "bоb", true, true},      // Cyrillic о
		{"bob", "b0b", true, false},
		{"BOB", "B0B", true, true},
		{"José", "Jose\u0301", true, true},
		{"Zoë", "Zoe\u0308", true, true},
		{"paypal", "pаypаl", true, true},
		{"m", "rn", true, true},
		{"guest-7", "guеst-7", true, true},

		{"alice", "bob", false, false},
		{"alice", "alice_", false, false},
		{"alice", "alice2", false, false},
		{"José", "Jose", false, false},
		{"Zoë", "Zoe", false, false},
		{"李雷", "李电", false, false},
		{"bob_2", "bob_3", false, false},
	} {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			if got := nickname.Fold(tc.a) == nickname.Fold(tc.b); got != tc.fold {
				t.Errorf("Fold(%+q) = %+q, Fold(%+q) = %+q: alike %v, want %v",
					tc.a, nickname.Fold(tc.a), tc.b, nickname.Fold(tc.b), got, tc.fold)
			}
			if got := nickname.Skeleton(tc.a) == nickname.Skeleton(tc.b); got != tc.skel {
				t.Errorf("Skeleton(%+q) = %+q, Skeleton(%+q) = %+q: alike %v, want %v",
					tc.a, nickname.Skeleton(tc.a), tc.b, nickname.Skeleton(tc.b), got, tc.skel)
			}
		})
	}
}

// TestFoldCoversFoldNick checks that nicknames wire.FoldNick calls the
// same fold alike, so that the room's old rule still holds.
func TestFoldCoversFoldNick(t *testing.T) {
	for _, pair := range [][2]string{{"alice", "Alice"}, {"ÉLODIE", "élodie"}, {"ΑΘΗΝΑ", "αθηνα"}, {"İz", "iz"}} {
		if wire.FoldNick(pair[0]) != wire.FoldNick(pair[1]) {
			t.Fatalf("FoldNick tells %q and %q apart: a bad example", pair[0], pair[1])
		}
		if nickname.Fold(pair[0]) != nickname.Fold(pair[1]) {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q", pair[0], nickname.Fold(pair[0]), pair[1], nickname.Fold(pair[1]))
		}
	}
}

// TestSettles checks every code point: its Fold is settled (a second
// Fold changes nothing) and so is its Skeleton.
func TestSettles(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) || !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S) {
			continue
		}
		s := string(r)
		if f := nickname.Fold(s); nickname.Fold(f) != f {
			t.Errorf("%U: Fold %+q, whose Fold is %+q", r, f, nickname.Fold(f))
		}
		if k := nickname.Skeleton(s); nickname.Skeleton(k) != k {
			t.Errorf("%U: Skeleton %+q, whose Skeleton is %+q", r, k, nickname.Skeleton(k))
		}
	}
}

// BenchmarkJoin is what a join or a rename costs in this package: Check,
// then both keys. docs/SECURITY.md ("Nicknames") quotes it.
func BenchmarkJoin(b *testing.B) {
	for _, name := range []string{"alice", "Jose\u0301", "ВасилийИвановичЧапаев-Jr_2", strings.Repeat("李", wire.MaxNick)} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				nick, err := nickname.Check(name)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = nickname.Fold(nick), nickname.Skeleton(nick)
			}
		})
	}
}
