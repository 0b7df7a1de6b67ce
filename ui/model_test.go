package ui_test

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"parley/net/wire"
	"parley/ui"
)

func TestLogAppendAndCap(t *testing.T) {
	tests := []struct {
		name     string
		max, add int
		wantLen  int // after the last append
	}{
		{"under the cap", 5, 3, 3},
		{"at the cap", 5, 5, 5},
		{"over the cap, one at a time", 5, 12, 5},
		{"cap of one", 1, 4, 1},
		{"default cap", 0, 10, 10},
		// 40/16 = 2 dropped at a time: 40 full, then 39, 40, 39...
		{"over the cap, two at a time", 40, 100, 40},
		{"across ring growth", 1000, 2500, 1000 - 62 + (2500-1000-1)%62 + 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := ui.NewLog(tt.max)
			max := l.Max()
			for i := 1; i <= tt.add; i++ {
				if seq := l.Append(ui.Entry{Text: fmt.Sprintf("m%d", i)}); seq != l.FirstSeq()+uint64(l.Len()-1) {
					t.Fatalf("Append #%d returned seq %d", i, seq)
				}
				if l.Len() > max {
					t.Fatalf("Len %d over the cap %d", l.Len(), max)
				}
			}
			if l.Len() != tt.wantLen {
				t.Fatalf("Len = %d, want %d", l.Len(), tt.wantLen)
			}
			if got, want := l.Dropped(), uint64(tt.add-l.Len()); got != want {
				t.Errorf("Dropped = %d, want %d", got, want)
			}
			if got := l.At(l.Len() - 1).Text; got != fmt.Sprintf("m%d", tt.add) {
				t.Errorf("newest = %q, want m%d", got, tt.add)
			}
			// The newest entries are kept, in order, with consecutive Seq,
			// and Index agrees.
			for i := 0; i < l.Len(); i++ {
				e := l.At(i)
				want := uint64(tt.add - l.Len() + 1 + i)
				if e.Seq != l.FirstSeq()+uint64(i) || e.Text != fmt.Sprintf("m%d", want) {
					t.Fatalf("At(%d) = %d %q, want %d", i, e.Seq, e.Text, want)
				}
				if j, ok := l.Index(e.Seq); !ok || j != i {
					t.Fatalf("Index(%d) = %d, %v; want %d", e.Seq, j, ok, i)
				}
			}
			if _, ok := l.Index(l.FirstSeq() - 1); ok && l.FirstSeq() > 1 {
				t.Error("Index found a dropped entry")
			}
			if _, ok := l.Index(l.FirstSeq() + uint64(l.Len())); ok {
				t.Error("Index found an entry not yet appended")
			}
		})
	}
}

func TestLogPending(t *testing.T) {
	l := ui.NewLog(3)
	l.Append(ui.Entry{From: "bob", Text: "hi"})
	seq := l.AppendPending("c1", ui.Entry{From: "me", Text: "hello  "})
	l.AppendPending("c2", ui.Entry{From: "me", Text: "second"})
	if l.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", l.Pending())
	}
	i, changed, ok := l.Confirm(wire.Msg{ID: 7, Time: 1234, From: "me", Text: "hello", CID: "c1"})
	if !ok || !changed {
		t.Fatalf("Confirm = %d, %v, %v; want ok and a changed text", i, changed, ok)
	}
	if e := l.At(i); e.Seq != seq || e.State != ui.Delivered || e.ID != 7 || e.Time != 1234 || e.Text != "hello" || !e.Own {
		t.Errorf("confirmed entry = %+v", *e)
	}
	if _, _, ok := l.Confirm(wire.Msg{ID: 8, CID: "c1"}); ok {
		t.Error("a second echo of c1 confirmed again")
	}
	if _, _, ok := l.Confirm(wire.Msg{ID: 9}); ok {
		t.Error("a message without a cid confirmed something")
	}
	if i, ok := l.Fail("c2"); !ok || l.At(i).State != ui.Failed {
		t.Errorf("Fail(c2) = %d, %v", i, ok)
	}
	if _, ok := l.Fail("c2"); ok {
		t.Error("Fail(c2) twice succeeded")
	}
	// A pending entry that is dropped is forgotten: its echo is then new.
	l.AppendPending("c3", ui.Entry{From: "me", Text: "third"})
	for k := 0; k < 3; k++ {
		l.Append(ui.Entry{From: "bob", Text: "flood"})
	}
	if l.Pending() != 0 {
		t.Errorf("Pending = %d after the pending entry was dropped", l.Pending())
	}
	if _, _, ok := l.Confirm(wire.Msg{ID: 10, CID: "c3", Text: "third"}); ok {
		t.Error("Confirm matched a dropped entry")
	}

	// FailAll fails what is pending, and only that.
	l.AppendPending("c4", ui.Entry{From: "me", Text: "fourth"})
	l.AppendPending("c5", ui.Entry{From: "me", Text: "fifth"})
	if n := l.FailAll(); n != 2 || l.Pending() != 0 {
		t.Errorf("FailAll = %d, Pending after = %d", n, l.Pending())
	}
	states := ""
	for k := 0; k < l.Len(); k++ {
		states += fmt.Sprint(l.At(k).State)
	}
	if want := fmt.Sprint(ui.Delivered) + fmt.Sprint(ui.Failed) + fmt.Sprint(ui.Failed); states != want {
		t.Errorf("states after FailAll = %s, want %s", states, want)
	}
	if n := l.FailAll(); n != 0 {
		t.Errorf("FailAll again = %d", n)
	}
}

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

func lines(y *ui.Layout, l *ui.Log) []string {
	var out []string
	for i := 0; i < y.Len(); i++ {
		ln := y.At(i)
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

func TestLayoutWrap(t *testing.T) {
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
			l := ui.NewLog(10)
			y := ui.NewLayout(mono)
			l.Append(ui.Entry{Text: tt.text})
			y.Rebuild(l, tt.width)
			got := lines(y, l)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("lines = %q\nwant    %q", got, tt.want)
			}
		})
	}
}

// TestLayoutProperties wraps random texts with a font whose widths do not
// add up and checks that no line is too wide (unless it holds one rune),
// that the lines cover the text in order, and that breaks happen only at
// spaces, newlines or inside words too wide for a line.
func TestLayoutProperties(t *testing.T) {
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
		l := ui.NewLog(4)
		l.Append(ui.Entry{Text: text})
		y := ui.NewLayout(kerned)
		y.Rebuild(l, width)
		pos := 0
		for i := 0; i < y.Len(); i++ {
			ln := y.At(i)
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

func TestLayoutFollowsLog(t *testing.T) {
	l := ui.NewLog(3)
	y := ui.NewLayout(mono)
	y.Rebuild(l, 100)
	add := func(text string) {
		l.Append(ui.Entry{Text: text})
		y.DropBefore(l.FirstSeq())
		y.Add(l.At(l.Len() - 1))
	}
	add("one")
	add("two two two two")
	add("three")
	add("four\nfour")
	got := strings.Join(lines(y, l), "|")
	if want := "^two two |two two|^three|^four|four"; got != want {
		t.Errorf("lines = %q, want %q", got, want)
	}
	if i, ok := y.Find(l.FirstSeq() + 1); !ok || i != 2 {
		t.Errorf("Find(three) = %d, %v; want 2", i, ok)
	}
	if _, ok := y.Find(1); ok {
		t.Error("Find found a dropped entry")
	}
	y.Rebuild(l, 1000)
	if got := strings.Join(lines(y, l), "|"); got != "^two two two two|^three|^four|four" {
		t.Errorf("after a wider rebuild: %q", got)
	}
}

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
			for _, s := range ui.FindLinks(tt.text) {
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
		for _, sp := range ui.FindLinks(s) {
			if sp.Start < last || sp.End <= sp.Start || sp.End > len(s) {
				t.Fatalf("bad span %+v in %q", sp, s)
			}
			last = sp.End
		}
	})
}

func FuzzLayout(f *testing.F) {
	f.Add("hello world\nsecond line with words", float32(50))
	f.Add("ééé", float32(1))
	f.Fuzz(func(t *testing.T, text string, width float32) {
		if width != width || width > 1e6 {
			return // NaN or absurd
		}
		l := ui.NewLog(2)
		l.Append(ui.Entry{Text: text})
		y := ui.NewLayout(kerned)
		y.Rebuild(l, width)
		if y.Len() == 0 {
			t.Fatal("no lines")
		}
		prev := int32(0)
		for i := 0; i < y.Len(); i++ {
			ln := y.At(i)
			if ln.Start < prev || ln.End < ln.Start || int(ln.End) > len(text) {
				t.Fatalf("bad line %+v after %d in %q", ln, prev, text)
			}
			prev = ln.End
		}
	})
}

func BenchmarkLogAppend(b *testing.B) {
	for _, max := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("cap=%d", max), func(b *testing.B) {
			l := ui.NewLog(max)
			e := ui.Entry{From: "alice", Text: "a typical chat message of some length"}
			b.ReportAllocs()
			for b.Loop() {
				l.Append(e)
			}
		})
	}
}

// BenchmarkLogLayoutAppend is the cost per incoming message on the UI
// goroutine: append to the log, drop what the cap pushes out, lay out.
func BenchmarkLogLayoutAppend(b *testing.B) {
	l := ui.NewLog(100000)
	y := ui.NewLayout(mono)
	y.Rebuild(l, 600)
	e := ui.Entry{From: "alice", Text: "a typical chat message of some length, sometimes long enough that it wraps onto a second line"}
	b.ReportAllocs()
	for b.Loop() {
		l.Append(e)
		y.DropBefore(l.FirstSeq())
		y.Add(l.At(l.Len() - 1))
	}
}

// BenchmarkRelayout100k lays out 100,000 messages again, as after the
// window is resized.
func BenchmarkRelayout100k(b *testing.B) {
	l, y := fill100k()
	width := float32(600)
	b.ReportAllocs()
	for b.Loop() {
		width = 1200 - width // alternate between two widths
		y.Rebuild(l, width)
	}
	b.ReportMetric(float64(y.Len()), "lines")
}

func fill100k() (*ui.Log, *ui.Layout) {
	l := ui.NewLog(100000)
	y := ui.NewLayout(mono)
	y.Rebuild(l, 600)
	for i := 0; i < 100000; i++ {
		text := fmt.Sprintf("message number %d from the flood", i)
		if i%10 == 0 {
			text += strings.Repeat(" and a longer tail that wraps", 4)
		}
		l.Append(ui.Entry{From: fmt.Sprintf("user%d", i%50), Text: text, ID: uint64(i + 1), Time: int64(i)})
		y.Add(l.At(l.Len() - 1))
	}
	return l, y
}

// BenchmarkMemory100k reports the heap held by a log and its layout with
// 100,000 messages, texts included.
func BenchmarkMemory100k(b *testing.B) {
	var l *ui.Log
	var y *ui.Layout
	var heap uint64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		l, y = fill100k()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
	}
	runtime.KeepAlive(l)
	runtime.KeepAlive(y)
	b.ReportMetric(float64(heap)/(1<<20), "MiB")
	b.ReportMetric(float64(heap)/100000, "B/msg")
}
