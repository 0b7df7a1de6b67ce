package ui

import (
	"fmt"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"parley/ui/chatlog"
)

// newTestList shows a message list keeping max entries in a test window
// of the given size.
func newTestList(t testing.TB, max int, size fyne.Size) (*messageList, fyne.Window) {
	test.NewTempApp(t)
	m := newMessageList(chatlog.NewLog(max))
	w := test.NewTempWindow(t, m)
	w.SetPadded(false)
	w.Resize(size)
	return m, w
}

func chat(i int) chatlog.Entry {
	return chatlog.Entry{Kind: chatlog.KindChat, Time: time.Date(2025, 3, 4, 10, 0, 0, 0, time.Local).UnixMilli(), From: "bob", Text: fmt.Sprintf("message %d", i)}
}

func maxOffset(m *messageList) float32 {
	content := float32(m.lines.Len())*m.pitch() - m.cols.pad
	return max(0, content-m.list.Size().Height)
}

// shownRows returns the text of the rows the list shows, top to bottom,
// found by walking its rendered objects as a canvas would.
func shownRows(m *messageList) []string {
	type row struct {
		y    float32
		text string
	}
	var rows []row
	var walk func(o fyne.CanvasObject, y float32)
	walk = func(o fyne.CanvasObject, y float32) {
		if !o.Visible() {
			return
		}
		y += o.Position().Y
		switch o := o.(type) {
		case *lineRow:
			var b strings.Builder
			for _, p := range o.parts {
				if p.run != nil {
					b.WriteString(p.run.Text)
				} else {
					b.WriteString(p.link.Text)
				}
			}
			rows = append(rows, row{y, b.String()})
		case *fyne.Container:
			for _, c := range o.Objects {
				walk(c, y)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(o).Objects() {
				walk(c, y)
			}
		}
	}
	walk(m.list, -m.list.Position().Y)
	sort.Slice(rows, func(i, j int) bool { return rows[i].y < rows[j].y })
	var out []string
	for _, r := range rows {
		// y is within the list: the scroller moves its content up.
		if r.y+m.cols.rowH > 0 && r.y < m.list.Size().Height {
			out = append(out, r.text)
		}
	}
	return out
}

func TestListFollowsBottom(t *testing.T) {
	m, c := clockedList(t, 1000, 100)
	if got, want := m.list.GetScrollOffset(), maxOffset(m); got != want {
		t.Fatalf("offset %v after the first messages, want the bottom %v", got, want)
	}
	if m.jump.Visible() {
		t.Fatal("jump button shown at the bottom")
	}

	// At the bottom, new messages keep the view at the bottom, and the
	// rows show them (the list is scrolled, not refreshed).
	for i := 100; i < 130; i++ {
		m.append(chat(i))
		if i%3 == 0 {
			m.flush()
			rows := shownRows(m)
			if len(rows) < 5 || rows[len(rows)-1] != fmt.Sprintf("message %d", i) ||
				rows[len(rows)-2] != fmt.Sprintf("message %d", i-1) {
				t.Fatalf("after message %d the list shows %q", i, rows)
			}
		}
	}
	m.flush()
	if got, want := m.list.GetScrollOffset(), maxOffset(m); got != want {
		t.Fatalf("offset %v after new messages at the bottom, want %v", got, want)
	}
	m.append(chat(130))
	m.flush()

	// Scrolled up, the view stays and the button counts what came.
	m.list.ScrollToOffset(40)
	for i := 131; i < 134; i++ {
		m.append(chat(i))
	}
	m.append(chatlog.Entry{Kind: chatlog.KindEvent, Text: "carol joined"}) // not a message
	m.flush()
	if got := m.list.GetScrollOffset(); got != 40 {
		t.Errorf("offset %v, want the view to stay at 40", got)
	}
	if !m.jump.Visible() || m.jump.Text != "3 new messages" {
		t.Errorf("jump button visible %v text %q", m.jump.Visible(), m.jump.Text)
	}
	m.append(chat(134))
	m.flush()
	c.advance(belowEvery) // lines below the view are shown at most that often
	if m.jump.Text != "4 new messages" {
		t.Errorf("jump text %q", m.jump.Text)
	}
	test.Tap(m.jump)
	if got, want := m.list.GetScrollOffset(), maxOffset(m); got != want || m.jump.Visible() {
		t.Errorf("after the jump: offset %v want %v, button visible %v", got, want, m.jump.Visible())
	}
}

// TestListCapKeepsView checks that dropping old entries under the cap
// does not move what a reader scrolled up to.
func TestListCapKeepsView(t *testing.T) {
	m, _ := newTestList(t, 50, fyne.NewSize(500, 300))
	base := m.entries.FirstSeq() // the Seq of message 0
	for i := 0; i < 50; i++ {
		m.append(chat(i))
	}
	m.flush()
	m.list.ScrollToOffset(20 * m.pitch())
	top := m.lines.At(20).Seq
	for i := 50; i < 55; i++ {
		m.append(chat(i))
	}
	m.flush()
	if m.entries.Len() > 50 || m.entries.FirstSeq() == base || m.lines.Len() != m.entries.Len() {
		t.Fatalf("log %d (first %d), lines %d; want at most 50, some dropped, a line each",
			m.entries.Len(), m.entries.FirstSeq()-base, m.lines.Len())
	}
	row := int(m.list.GetScrollOffset() / m.pitch())
	if got := m.lines.At(row).Seq; got != top {
		t.Errorf("top line is entry %d, want %d", got, top)
	}
	// The rows moved with their lines.
	if rows := shownRows(m); len(rows) == 0 || rows[0] != fmt.Sprintf("message %d", top-base) {
		t.Errorf("the list shows %q, want message %d first", rows, top-base)
	}
}

func TestListWrapsAndRelayouts(t *testing.T) {
	m, w := newTestList(t, 100, fyne.NewSize(700, 300))
	long := strings.Repeat("lorem ipsum dolor sit amet ", 12)
	m.append(chatlog.Entry{Kind: chatlog.KindChat, From: "ann", Text: long})
	m.append(chatlog.Entry{Kind: chatlog.KindChat, From: "ann", Text: "one\ntwo\nthree"})
	m.flush()
	wide := m.lines.Len()
	w.Resize(fyne.NewSize(350, 300))
	narrow := m.lines.Len()
	if narrow <= wide || wide < 5 {
		t.Fatalf("lines: %d at 700 wide, %d at 350; want more when narrower", wide, narrow)
	}
	// Every line fits the width it was laid out for.
	for i := 0; i < m.lines.Len(); i++ {
		ln := m.lines.At(i)
		j, _ := m.entries.Index(ln.Seq)
		text := strings.TrimRight(m.entries.At(j).Text[ln.Start:ln.End], " ")
		if got := m.measure(text); got > m.lines.Width() {
			t.Errorf("line %q is %v wide, the layout %v", text, got, m.lines.Width())
		}
	}
	if got, want := m.list.GetScrollOffset(), maxOffset(m); got != want {
		t.Errorf("offset %v after the resize, want the bottom %v", got, want)
	}
}

// TestRowContent checks what a row shows for each kind of entry.
func TestRowContent(t *testing.T) {
	m, _ := newTestList(t, 100, fyne.NewSize(600, 300))
	when := time.Date(2025, 3, 4, 9, 5, 0, 0, time.Local).UnixMilli()
	entries := []chatlog.Entry{
		{Kind: chatlog.KindChat, Time: when, From: "bob", Text: "see https://example.com/a, ok"},
		{Kind: chatlog.KindChat, Time: when, From: "me", Text: "mine", Own: true},
		{Kind: chatlog.KindChat, Time: when, From: "me", Text: "waiting", Own: true, State: chatlog.Pending},
		{Kind: chatlog.KindChat, Time: when, From: "me", Text: "refused", Own: true, State: chatlog.Failed},
		{Kind: chatlog.KindEvent, Time: when, Text: "bob joined"},
		{Kind: chatlog.KindWarn, Time: when, Text: "reconnecting"},
		{Kind: chatlog.KindError, Time: when, Text: "gone"},
		{Kind: chatlog.KindChat, Time: when, From: "averyveryverylongnickname", Text: "hi"},
	}
	for _, e := range entries {
		m.append(e)
	}
	m.flush()
	want := []struct {
		when, who string
		parts     string
		color     fyne.ThemeColorName
	}{
		{"09:05", "bob", "text:see |link:https://example.com/a|text:, ok", theme.ColorNameForeground},
		{"09:05", "me", "text:mine", theme.ColorNameForeground},
		{"…", "me", "text:waiting", theme.ColorNamePlaceHolder},
		{"!", "me", "text:refused", theme.ColorNameError},
		{"09:05", "*", "text:bob joined", theme.ColorNamePlaceHolder},
		{"09:05", "!", "text:reconnecting", theme.ColorNameWarning},
		{"09:05", "!!", "text:gone", theme.ColorNameError},
		{"09:05", "", "text:hi", theme.ColorNameForeground},
	}
	for i, w := range want {
		r := newLineRow(m)
		m.updateRow(i, r)
		var parts []string
		for _, p := range r.parts {
			switch {
			case p.run != nil:
				parts = append(parts, "text:"+p.run.Text)
				if p.run.Color != m.color(w.color) {
					t.Errorf("row %d: run %q coloured %v, want %s", i, p.run.Text, p.run.Color, w.color)
				}
			case p.link != nil:
				parts = append(parts, "link:"+p.link.Text)
				if p.link.URL.String() != "https://example.com/a" {
					t.Errorf("row %d: link URL %v", i, p.link.URL)
				}
			}
		}
		if got := strings.Join(parts, "|"); got != w.parts {
			t.Errorf("row %d parts %q, want %q", i, got, w.parts)
		}
		if r.when.Text != w.when {
			t.Errorf("row %d time %q, want %q", i, r.when.Text, w.when)
		}
		if w.who != "" && r.who.Text != w.who {
			t.Errorf("row %d sender %q, want %q", i, r.who.Text, w.who)
		}
		// Pieces follow each other left to right.
		for k := 1; k < len(r.parts); k++ {
			if r.parts[k].x < r.parts[k-1].x+r.parts[k-1].w {
				t.Errorf("row %d: part %d overlaps the one before", i, k)
			}
		}
	}
	// Tapping a link opens it; a secondary tap offers to copy the
	// message or the link.
	var opened []string
	m.openURL = func(u *url.URL) { opened = append(opened, u.String()) }
	r0 := newLineRow(m)
	m.updateRow(0, r0)
	test.Tap(r0.parts[1].link)
	if len(opened) != 1 || opened[0] != "https://example.com/a" {
		t.Errorf("tapping the link opened %q", opened)
	}
	w := test.NewTempWindow(t, r0)
	r0.TappedSecondary(&fyne.PointEvent{})
	if w.Canvas().Overlays().Top() == nil {
		t.Fatal("no menu after a secondary tap")
	}
	menu := r0.copyMenu()
	var labels []string
	for _, it := range menu.Items {
		labels = append(labels, it.Label)
	}
	if strings.Join(labels, "|") != "Copy message|Copy link https://example.com/a" {
		t.Errorf("menu items %q", labels)
	}
	menu.Items[1].Action()
	if got := fyne.CurrentApp().Clipboard().Content(); got != "https://example.com/a" {
		t.Errorf("clipboard %q after Copy link", got)
	}
	menu.Items[0].Action()
	if got := fyne.CurrentApp().Clipboard().Content(); got != "bob: see https://example.com/a, ok" {
		t.Errorf("clipboard %q after Copy message", got)
	}

	// A long nickname is shortened to its column.
	r := newLineRow(m)
	m.updateRow(len(entries)-1, r)
	if !strings.HasSuffix(r.who.Text, "…") || fyne.MeasureText(r.who.Text, m.cols.textSize, fyne.TextStyle{Bold: true}).Width > m.cols.nickW {
		t.Errorf("long nickname shown as %q", r.who.Text)
	}
	// Own and others' names differ in colour.
	own, other := newLineRow(m), newLineRow(m)
	m.updateRow(1, own)
	m.updateRow(0, other)
	if own.who.Color == other.who.Color {
		t.Error("own messages look like everyone else's")
	}
}

// A link cut by wrapping stays one link: both pieces open the whole URL.
func TestRowLinkAcrossLines(t *testing.T) {
	text := "go https://example.com/a/very/long/path now"
	for _, line := range []chatlog.Span{{Start: 3, End: 20}, {Start: 20, End: len(text)}} {
		spans := linkSpans(text, line.Start, line.End)
		if len(spans) != 1 {
			t.Fatalf("line %v: %d links, want 1", line, len(spans))
		}
		if sp := spans[0]; sp.url.String() != "https://example.com/a/very/long/path" || sp.Start < line.Start || sp.End > line.End {
			t.Errorf("line %v: link %+v %v", line, sp.Span, sp.url)
		}
	}
}

// BenchmarkFlood measures the UI goroutine's work for a flood of 1,000
// messages a second drawn at 60 frames a second: each iteration is one
// frame, 17 messages appended to a full 100,000-message log and one list
// refresh, in an 800×600 window. The frame budget is 16.7 ms; the target
// is no stall over 100 ms. (The test driver does not paint pixels: this is
// the widget work, not the GPU's.)
func BenchmarkFlood(b *testing.B) {
	m, _ := newTestList(b, 100000, fyne.NewSize(800, 600))
	for i := 0; i < 100000; i++ {
		e := chat(i)
		if i%7 == 0 {
			e.Text += strings.Repeat(" with a tail long enough to wrap onto a second line", 2)
		}
		m.append(e)
	}
	m.flush()
	var worst time.Duration
	n := 100000
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		for k := 0; k < 17; k++ {
			m.append(chat(n))
			n++
		}
		m.flush()
		worst = max(worst, time.Since(start))
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms")
	if got, want := m.list.GetScrollOffset(), maxOffset(m); got != want {
		b.Fatalf("the view left the bottom during the flood: %v, want %v", got, want)
	}
}

// BenchmarkRelayoutWindow100k is a window resize with 100,000 messages:
// every line laid out again with real font measurements.
func BenchmarkRelayoutWindow100k(b *testing.B) {
	m, w := newTestList(b, 100000, fyne.NewSize(800, 600))
	for i := 0; i < 100000; i++ {
		m.append(chat(i))
	}
	m.flush()
	wide := true
	for b.Loop() {
		wide = !wide
		if wide {
			w.Resize(fyne.NewSize(800, 600))
		} else {
			w.Resize(fyne.NewSize(500, 600))
		}
	}
}

// BenchmarkWindowMemory100k reports the heap a message list with 100,000
// messages holds, widgets included.
func BenchmarkWindowMemory100k(b *testing.B) {
	var heap uint64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, _ := newTestList(b, 100000, fyne.NewSize(800, 600))
		for i := 0; i < 100000; i++ {
			m.append(chat(i))
		}
		m.flush()
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = after.HeapAlloc - before.HeapAlloc
		runtime.KeepAlive(m)
	}
	b.ReportMetric(float64(heap)/(1<<20), "MiB")
}
