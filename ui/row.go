package ui

import (
	"image/color"
	"net/url"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"parley/ui/chatlog"
)

// lineRow draws one chatlog.Line of a messageList: time and sender on an
// entry's first line, then the piece of text in runs of canvas text, with
// links as Hyperlinks.
// widget.List creates a row for its template on every refresh, so a row
// costs little until it shows something: no RichText, no renderer for
// MinSize, hyperlinks only for lines that have links.
type lineRow struct {
	widget.BaseWidget
	m         *messageList
	bg        *canvas.Rectangle
	when, who *canvas.Text
	runs      []*canvas.Text      // plain pieces, reused
	links     []*widget.Hyperlink // link pieces, reused
	parts     []rowPart           // what the line shows, in order
	objects   []fyne.CanvasObject

	seq        uint64
	start, end int32
	state      chatlog.State
	gen        uint64
}

// rowPart is one piece of a line: a run or a link, with its x offset
// from the text column and its width.
type rowPart struct {
	run  *canvas.Text
	link *widget.Hyperlink
	x, w float32
}

var (
	_ fyne.Widget            = (*lineRow)(nil)
	_ fyne.SecondaryTappable = (*lineRow)(nil)
)

func newLineRow(m *messageList) *lineRow {
	r := &lineRow{
		m:    m,
		bg:   canvas.NewRectangle(color.Transparent),
		when: canvas.NewText("", color.Transparent),
		who:  canvas.NewText("", color.Transparent),
	}
	r.who.Alignment = fyne.TextAlignTrailing
	r.who.TextStyle.Bold = true
	r.objects = []fyne.CanvasObject{r.bg, r.when, r.who}
	r.ExtendBaseWidget(r)
	return r
}

// MinSize is the row's size without creating a renderer: the list asks
// it of every template.
func (r *lineRow) MinSize() fyne.Size {
	return fyne.NewSize(r.m.cols.bodyX, r.m.cols.rowH)
}

// CreateRenderer implements fyne.Widget.
func (r *lineRow) CreateRenderer() fyne.WidgetRenderer {
	return &lineRowRenderer{r: r}
}

// show fills the row with line ln of entry e, unless it already shows it.
func (r *lineRow) show(ln chatlog.Line, e *chatlog.Entry) {
	if r.seq == ln.Seq && r.start == ln.Start && r.end == ln.End && r.state == e.State && r.gen == r.m.gen {
		return
	}
	r.seq, r.start, r.end, r.state, r.gen = ln.Seq, ln.Start, ln.End, e.State, r.m.gen
	m := r.m
	if m.shownNew != nil {
		m.shownNew()
	}
	c := m.cols

	r.when.Text, r.who.Text = "", ""
	r.when.TextSize, r.who.TextSize = c.textSize, c.textSize
	r.when.Color = m.color(theme.ColorNamePlaceHolder)
	r.bg.FillColor = color.Transparent
	if ln.First {
		r.when.Text = time.UnixMilli(e.Time).Format("15:04")
		switch e.State {
		case chatlog.Pending:
			r.when.Text = "…"
		case chatlog.Failed:
			r.when.Text = "!"
			r.when.Color = m.color(theme.ColorNameError)
		}
		r.who.Text, r.who.Color = r.sender(e)
	}
	switch {
	case e.Found:
		r.bg.FillColor = m.color(theme.ColorNameFocus)
	case e.Mention:
		r.bg.FillColor = m.color(theme.ColorNameSelection)
	}

	colour := theme.ColorNameForeground
	var style fyne.TextStyle
	switch {
	case e.Kind == chatlog.KindEvent, e.Kind == chatlog.KindInfo:
		colour, style.Italic = theme.ColorNamePlaceHolder, true
	case e.Kind == chatlog.KindWarn:
		colour = theme.ColorNameWarning
	case e.Kind == chatlog.KindError, e.State == chatlog.Failed:
		colour = theme.ColorNameError
	case e.State == chatlog.Pending:
		colour = theme.ColorNamePlaceHolder
	}
	r.fill(e.Text, int(ln.Start), int(ln.End), m.color(colour), style)
	r.Refresh()
}

// fill lays out text[start:end] as runs and links.
func (r *lineRow) fill(text string, start, end int, col color.Color, style fyne.TextStyle) {
	m := r.m
	r.parts = r.parts[:0]
	nRun, nLink := 0, 0
	var x float32
	addRun := func(s string) {
		if s == "" {
			return
		}
		if nRun == len(r.runs) {
			r.runs = append(r.runs, canvas.NewText("", col))
		}
		t := r.runs[nRun]
		nRun++
		t.Text, t.Color, t.TextStyle, t.TextSize = s, col, style, m.cols.textSize
		w := m.measure(s) // an upper bound: at most a pixel or two of gap before a link
		r.parts = append(r.parts, rowPart{run: t, x: x, w: w})
		x += w
	}
	for _, sp := range linkSpans(text, start, end) {
		addRun(text[start:sp.Start])
		if nLink == len(r.links) {
			r.links = append(r.links, widget.NewHyperlink("", nil))
		}
		l := r.links[nLink]
		nLink++
		u := sp.url
		l.Text, l.URL = text[sp.Start:sp.End], u
		l.OnTapped = func() { m.open(u) }
		w := m.measure(l.Text)
		r.parts = append(r.parts, rowPart{link: l, x: x, w: w})
		x += w
		start = sp.End
	}
	addRun(text[start:end])
	r.objects = r.objects[:3]
	for _, p := range r.parts {
		if p.run != nil {
			r.objects = append(r.objects, p.run)
		} else {
			r.objects = append(r.objects, p.link)
		}
	}
}

// linkSpan is a link's piece within a line, and the whole link's URL.
type linkSpan struct {
	chatlog.Span
	url *url.URL
}

// linkSpans returns the pieces of links within text[start:end]: whole
// URLs, even when the line shows only part of one, so that both halves of
// a wrapped link open it.
func linkSpans(text string, start, end int) []linkSpan {
	if !strings.Contains(text, "://") {
		return nil
	}
	var out []linkSpan
	for _, sp := range chatlog.FindLinks(text) {
		if sp.End <= start || sp.Start >= end {
			continue
		}
		u, err := url.Parse(text[sp.Start:sp.End])
		if err != nil {
			continue
		}
		out = append(out, linkSpan{chatlog.Span{Start: max(sp.Start, start), End: min(sp.End, end)}, u})
	}
	return out
}

// sender is the text and colour of the sender column.
func (r *lineRow) sender(e *chatlog.Entry) (string, color.Color) {
	m := r.m
	switch e.Kind {
	case chatlog.KindEvent:
		return "*", m.color(theme.ColorNamePlaceHolder)
	case chatlog.KindInfo:
		return "--", m.color(theme.ColorNamePrimary)
	case chatlog.KindWarn:
		return "!", m.color(theme.ColorNameWarning)
	case chatlog.KindError:
		return "!!", m.color(theme.ColorNameError)
	}
	name := fitText(e.From, m.cols.nickW, func(s string) float32 {
		return fyne.MeasureText(s, m.cols.textSize, fyne.TextStyle{Bold: true}).Width
	})
	if e.Own {
		return name, m.color(theme.ColorNamePrimary)
	}
	return name, m.color(theme.ColorNameForeground)
}

// fitText shortens s with an ellipsis until it fits width.
func fitText(s string, width float32, measure func(string) float32) string {
	if measure(s) <= width {
		return s
	}
	r := []rune(s)
	for n := len(r) - 1; n > 0; n-- {
		if t := string(r[:n]) + "…"; measure(t) <= width {
			return t
		}
	}
	return "…"
}

// TappedSecondary offers to copy the message, or a link in it.
func (r *lineRow) TappedSecondary(ev *fyne.PointEvent) {
	menu := r.copyMenu()
	c := fyne.CurrentApp().Driver().CanvasForObject(r)
	if menu == nil || c == nil {
		return
	}
	widget.ShowPopUpMenuAtPosition(menu, c, ev.AbsolutePosition)
}

// copyMenu is the row's context menu: copy the message ("nick: text"),
// or one of its first three links.
func (r *lineRow) copyMenu() *fyne.Menu {
	i, ok := r.m.entries.Index(r.seq)
	if !ok {
		return nil
	}
	e := r.m.entries.At(i)
	text := e.Text
	if e.Kind == chatlog.KindChat {
		text = e.From + ": " + e.Text
	}
	clip := fyne.CurrentApp().Clipboard()
	items := []*fyne.MenuItem{fyne.NewMenuItem("Copy message", func() { clip.SetContent(text) })}
	for k, sp := range chatlog.FindLinks(e.Text) {
		if k == 3 {
			break
		}
		link := e.Text[sp.Start:sp.End]
		items = append(items, fyne.NewMenuItem("Copy link "+fitText(link, 300, func(s string) float32 {
			return fyne.MeasureText(s, r.m.cols.textSize, fyne.TextStyle{}).Width
		}), func() { clip.SetContent(link) }))
	}
	return fyne.NewMenu("", items...)
}

type lineRowRenderer struct {
	r *lineRow
}

func (l *lineRowRenderer) Layout(size fyne.Size) {
	r, c := l.r, l.r.m.cols
	r.bg.Resize(size)
	r.bg.Move(fyne.Position{})
	r.when.Move(fyne.NewPos(c.gap, 0))
	r.when.Resize(fyne.NewSize(c.timeW, c.rowH))
	r.who.Move(fyne.NewPos(c.gap+c.timeW+2*c.gap, 0))
	r.who.Resize(fyne.NewSize(c.nickW, c.rowH))
	for _, p := range r.parts {
		if p.run != nil {
			p.run.Move(fyne.NewPos(c.bodyX+p.x, 0))
			p.run.Resize(fyne.NewSize(p.w, c.rowH))
			continue
		}
		// A Hyperlink pads its text; place the text where a run's would be.
		p.link.Move(fyne.NewPos(c.bodyX+p.x-c.linkPad, -c.linkPad))
		p.link.Resize(fyne.NewSize(p.w+2*c.linkPad, c.rowH+2*c.linkPad))
	}
}

func (l *lineRowRenderer) MinSize() fyne.Size { return l.r.MinSize() }

func (l *lineRowRenderer) Refresh() {
	r := l.r
	l.Layout(r.Size())
	for _, o := range r.objects {
		o.Refresh()
	}
}

func (l *lineRowRenderer) Objects() []fyne.CanvasObject { return l.r.objects }
func (l *lineRowRenderer) Destroy()                     {}
