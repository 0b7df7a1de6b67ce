package chatlog_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/ui/chatlog"
)

// mono measures like a monospaced font, 10 units per character.
func mono(s string) float32 { return 10 * float32(utf8.RuneCountInString(s)) }

// kerned measures a string as a little wider than its pieces add up to,
// as real fonts can, so that wrapping must check whole lines.
func kerned(s string) float32 {
	if s == "" {
		return 0
	}
	return 10*float32(utf8.RuneCountInString(s)) + float32(len(s)%3)
}

func lines(ls *chatlog.Lines, l *chatlog.Log) []string {
	var out []string
	for i := 0; i < ls.Len(); i++ {
		ln := ls.At(i)
		j, ok := l.Index(ln.Seq)
		if !ok {
			out = append(out, "<dropped>")
			continue
		}
		s := l.At(j).Text[ln.Start:ln.End]
		if ln.First {
			s = "^" + s
		}
		out = append(out, s)
	}
	return out
}

func TestLinesWrap(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		width float32
		want  []string
	}{
		{"fits", "hello world", 200, []string{"^hello world"}},
		{"exactly fits", "abcde", 50, []string{"^abcde"}},
		{"no wrapping without a width", strings.Repeat("x", 100), 0, []string{"^" + strings.Repeat("x", 100)}},
		{"hard lines", "one\ntwo\n\nfour", 200, []string{"^one", "two", "", "four"}},
		{"word wrap", "the quick brown fox jumps", 100, []string{"^the quick ", "brown fox ", "jumps"}},
		{"long word is cut", "abcdefghijklmnopqrstuvwxyz", 100, []string{"^abcdefghij", "klmnopqrst", "uvwxyz"}},
		{"long word after short", "hi abcdefghijklmnop", 100, []string{"^hi ", "abcdefghij", "klmnop"}},
		{"multibyte cut between runes", "ééééééééééé", 50, []string{"^ééééé", "ééééé", "é"}},
		{"hard and soft", "aaaa bbbb cccc\nshort", 90, []string{"^aaaa bbbb ", "cccc", "short"}},
		{"narrower than a rune", "abc", 5, []string{"^a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := chatlog.NewLog(10)
			ls := chatlog.NewLines(mono)
			l.Append(chatlog.Entry{Text: tt.text})
			ls.Rebuild(l, tt.width)
			got := lines(ls, l)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines = %q\nwant    %q", got, tt.want)
			}
		})
	}
}

// TestLinesProperties wraps random texts with a font whose widths do not
// add up and checks that no line is too wide (unless it holds one rune),
// that the lines cover the text in order, and that breaks happen only at
// spaces, newlines or inside words too wide for a line.
func TestLinesProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"a", "to", "the", "chat", "message", "é", "日本語", "https://example.com/very/long/path", "supercalifragilistic"}
	for n := 0; n < 300; n++ {
		var b strings.Builder
		for k := rng.IntN(30); k >= 0; k-- {
			b.WriteString(words[rng.IntN(len(words))])
			switch rng.IntN(8) {
			case 0:
				b.WriteString("\n")
			case 1:
				b.WriteString("   ")
			default:
				b.WriteString(" ")
			}
		}
		text := strings.TrimSpace(b.String())
		width := float32(5 + rng.IntN(300))
		l := chatlog.NewLog(4)
		l.Append(chatlog.Entry{Text: text})
		ls := chatlog.NewLines(kerned)
		ls.Rebuild(l, width)
		pos := 0
		for i := 0; i < ls.Len(); i++ {
			ln := ls.At(i)
			if int(ln.Start) != pos {
				t.Fatalf("text %q width %v: line %d starts at %d, want %d", text, width, i, ln.Start, pos)
			}
			s := text[ln.Start:ln.End]
			vis := strings.TrimRight(s, " ")
			if kerned(vis) > width && utf8.RuneCountInString(vis) > 1 {
				t.Fatalf("text %q width %v: line %q is %v wide", text, width, s, kerned(vis))
			}
			pos = int(ln.End)
			if pos < len(text) && text[pos] == '\n' {
				pos++
			}
		}
		if pos != len(text) {
			t.Fatalf("text %q width %v: lines end at %d of %d", text, width, pos, len(text))
		}
	}
}

func TestLinesFollowsLog(t *testing.T) {
	l := chatlog.NewLog(3)
	ls := chatlog.NewLines(mono)
	ls.Rebuild(l, 100)
	add := func(text string) {
		l.Append(chatlog.Entry{Text: text})
		ls.DropBefore(l.FirstSeq())
		ls.Add(l.At(l.Len() - 1))
	}
	add("one")
	add("two two two two")
	add("three")
	add("four\nfour")
	got := strings.Join(lines(ls, l), "|")
	if want := "^two two |two two|^three|^four|four"; got != want {
		t.Errorf("lines = %q, want %q", got, want)
	}
	if i, ok := ls.Find(l.FirstSeq() + 1); !ok || i != 2 {
		t.Errorf("Find(three) = %d, %v; want 2", i, ok)
	}
	if _, ok := ls.Find(1); ok {
		t.Error("Find found a dropped entry")
	}
	ls.Rebuild(l, 1000)
	if got := strings.Join(lines(ls, l), "|"); got != "^two two two two|^three|^four|four" {
		t.Errorf("after a wider rebuild: %q", got)
	}
}

func FuzzLines(f *testing.F) {
	f.Add("hello world\nsecond line with words", float32(50))
	f.Add("ééé", float32(1))
	f.Fuzz(func(t *testing.T, text string, width float32) {
		if width != width || width > 1e6 {
			return // NaN or absurd
		}
		l := chatlog.NewLog(2)
		l.Append(chatlog.Entry{Text: text})
		ls := chatlog.NewLines(kerned)
		ls.Rebuild(l, width)
		if ls.Len() == 0 {
			t.Fatal("no lines")
		}
		prev := int32(0)
		for i := 0; i < ls.Len(); i++ {
			ln := ls.At(i)
			if ln.Start < prev || ln.End < ln.Start || int(ln.End) > len(text) {
				t.Fatalf("bad line %+v after %d in %q", ln, prev, text)
			}
			prev = ln.End
		}
	})
}

// BenchmarkLogLayoutAppend is the cost per incoming message on the UI
// goroutine: append to the log, drop what the cap pushes out, lay out.
func BenchmarkLogLayoutAppend(b *testing.B) {
	l := chatlog.NewLog(100000)
	ls := chatlog.NewLines(mono)
	ls.Rebuild(l, 600)
	e := chatlog.Entry{From: "alice", Text: "a typical chat message of some length, sometimes long enough that it wraps onto a second line"}
	b.ReportAllocs()
	for b.Loop() {
		l.Append(e)
		ls.DropBefore(l.FirstSeq())
		ls.Add(l.At(l.Len() - 1))
	}
}

// BenchmarkRelayout100k lays out 100,000 messages again, as after the
// window is resized.
func BenchmarkRelayout100k(b *testing.B) {
	l, ls := fill100k()
	width := float32(600)
	b.ReportAllocs()
	for b.Loop() {
		width = 1200 - width // alternate between two widths
		ls.Rebuild(l, width)
	}
	b.ReportMetric(float64(ls.Len()), "lines")
}

func fill100k() (*chatlog.Log, *chatlog.Lines) {
	l := chatlog.NewLog(100000)
	ls := chatlog.NewLines(mono)
	ls.Rebuild(l, 600)
	for i := 0; i < 100000; i++ {
		text := fmt.Sprintf("message number %d from the flood", i)
		if i%10 == 0 {
			text += strings.Repeat(" and a longer tail that wraps", 4)
		}
		l.Append(chatlog.Entry{From: fmt.Sprintf("user%d", i%50), Text: text, ID: uint64(i + 1), Time: int64(i)})
		ls.Add(l.At(l.Len() - 1))
	}
	return l, ls
}

// BenchmarkMemory100k reports the heap held by a log and its layout with
// 100,000 messages, texts included.
func BenchmarkMemory100k(b *testing.B) {
	var l *chatlog.Log
	var ls *chatlog.Lines
	var heap uint64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l, ls = fill100k()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
	}
	runtime.KeepAlive(l)
	runtime.KeepAlive(ls)
	b.ReportMetric(float64(heap)/(1<<20), "MiB")
	b.ReportMetric(float64(heap)/100000, "B/msg")
}

// TestLinesClear: Clear drops every line, and the lines laid out after it
// start afresh.
func TestLinesClear(t *testing.T) {
	l := chatlog.NewLog(10)
	ls := chatlog.NewLines(mono)
	ls.Rebuild(l, 100)
	for _, text := range []string{"one", "two two two two"} {
		l.Append(chatlog.Entry{Text: text})
		ls.Add(l.At(l.Len() - 1))
	}
	ls.Clear()
	l.Reset()
	if ls.Len() != 0 || l.Len() != 0 {
		t.Fatalf("after Clear and Reset: %d lines, %d entries", ls.Len(), l.Len())
	}
	l.Append(chatlog.Entry{Text: "three"})
	ls.Add(l.At(0))
	if got := strings.Join(lines(ls, l), "|"); got != "^three" {
		t.Errorf("lines %q, want ^three", got)
	}
}
