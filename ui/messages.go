package ui

import (
	"fmt"
	"image/color"
	"net/url"
	"parley/ui/chatlog"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// messageList shows a chatlog.Log: a widget.List with one row per visual
// chatlog.Line, a "new messages" button over it while the user reads
// older lines, and the logic that keeps the view at the bottom only when
// it already was there. It is changed only on the UI goroutine; batching
// is the caller's business (append many, then flush once).
type messageList struct {
	widget.BaseWidget

	log  *chatlog.Log
	lay  *chatlog.Lines
	list *widget.List
	jump *widget.Button
	body *fyne.Container

	// shown is the number of lines the list showed at the last flush;
	// dropped counts lines removed from the front since then, added
	// counts new chat messages since then.
	shown, dropped, added int
	// unseen counts chat messages that arrived while the user was not at
	// the bottom; the jump button shows it.
	unseen int
	// dirty is set when something needs a list refresh at the next flush.
	dirty bool
	// gen changes when every row must be drawn again (theme, column
	// widths, an entry's state), so that rows can skip redundant updates;
	// shownGen is the gen of the last list refresh.
	gen, shownGen uint64

	cols columns
	// advance caches the width of each rune below U+0300 at the current
	// text size (zero: not measured yet).
	advance [0x300]float32
	// openURL opens a tapped link; nil means fyne's App.OpenURL.
	openURL func(*url.URL)
	// now gives the clock for "today" checks and belowEvery; tests may
	// fix it.
	now func() time.Time
	// after runs f on the UI goroutine d from now (fyne.Do after a
	// timer); tests replace it.
	after func(d time.Duration, f func())
	// belowAt is when the list was last refreshed for lines that came
	// below the view; belowOwed is set while a refresh for such lines is
	// scheduled (see flush).
	belowAt   time.Time
	belowOwed bool
	// cut is set while the log does not hold the present: older pages
	// pushed its newest entries out, or it shows a search result's
	// context (see scrollback.go). missed counts chat messages that came
	// meanwhile and were not added.
	cut    bool
	missed int
	// spinner shows over the top while an older page is on its way.
	spinner *widget.ProgressBarInfinite
	// onTop, if set, is told when the first row is drawn; onPresent when
	// a cut log was emptied to return to the present.
	onTop, onPresent func()
	// shownNew, if set, is told when a row starts showing another line:
	// a new text texture, whether the line is new or the user scrolled.
	shownNew func()
}

// belowEvery is how often the list is refreshed for new lines that arrive
// below the view, while the user reads older ones: nothing in view
// changes, only the scroll bar and the jump button's count, and each
// refresh costs a frame drawn in software.
const belowEvery = 500 * time.Millisecond

// columns are the measured geometry of a row, recomputed when the theme
// changes.
type columns struct {
	textSize, gap, pad float32
	timeW, nickW, rowH float32
	bodyX, scrollBar   float32
	linkPad            float32 // a Hyperlink's padding around its text
}

var _ fyne.Widget = (*messageList)(nil)

func newMessageList(log *chatlog.Log) *messageList {
	m := &messageList{log: log, now: time.Now}
	m.after = func(d time.Duration, f func()) { time.AfterFunc(d, func() { fyne.Do(f) }) }
	m.lay = chatlog.NewLines(m.measure)
	m.list = widget.NewList(m.lay.Len, m.createRow, m.updateRow)
	m.list.HideSeparators = true
	m.list.OnSelected = func(id widget.ListItemID) { m.list.Unselect(id) }
	m.jump = widget.NewButtonWithIcon("", theme.MoveDownIcon(), m.scrollToBottom)
	m.jump.Importance = widget.HighImportance
	m.jump.Hide()
	m.spinner = newSpinner()
	over := container.NewVBox(m.spinner, layout.NewSpacer(),
		container.NewHBox(layout.NewSpacer(), m.jump, widget.NewLabel("")))
	m.body = container.NewStack(m.list, over)
	m.ExtendBaseWidget(m)
	m.measureColumns()
	return m
}

// CreateRenderer implements fyne.Widget.
func (m *messageList) CreateRenderer() fyne.WidgetRenderer {
	return widget.NewSimpleRenderer(m.body)
}

// Resize lays the lines out again when the text width changes, keeping
// the same line at the top of the view (or the view at the bottom).
func (m *messageList) Resize(s fyne.Size) {
	m.BaseWidget.Resize(s)
	m.relayout(false)
}

// Refresh is called on theme changes among others: the columns are
// measured again and every row redrawn.
func (m *messageList) Refresh() {
	if m.measureColumns() {
		m.relayout(true)
	}
	m.gen++
	m.list.Refresh()
	m.BaseWidget.Refresh()
}

// measure is the width of s as a row's text is drawn, or a little more.
// Fyne shapes every string it measures (about 0.1 ms each, even for a
// short one), too slow to lay out 100,000 messages or a flood of them.
// For text made only of Latin, Greek-free runes below U+0300 (where
// shaping does no more than kerning, which only ever tightens) the sum of
// each rune's advance, measured once, is an upper bound that is exact to
// a pixel or two. Anything else is measured by Fyne.
func (m *messageList) measure(s string) float32 {
	var w float32
	for _, r := range s {
		if r >= rune(len(m.advance)) {
			return fyne.MeasureText(s, m.cols.textSize, fyne.TextStyle{}).Width
		}
		a := m.advance[r]
		if a == 0 {
			a = fyne.MeasureText(string(r), m.cols.textSize, fyne.TextStyle{}).Width
			if a <= 0 {
				a = 0.001 // measured: nothing drawn
			}
			m.advance[r] = a
		}
		w += a
	}
	return w
}

// measureColumns works out the row geometry from the theme and reports
// whether it changed.
func (m *messageList) measureColumns() bool {
	th := fyne.CurrentApp().Settings().Theme()
	c := columns{
		textSize:  th.Size(theme.SizeNameText),
		gap:       th.Size(theme.SizeNamePadding),
		pad:       th.Size(theme.SizeNamePadding),
		scrollBar: th.Size(theme.SizeNameScrollBar),
		linkPad:   th.Size(theme.SizeNameInnerPadding),
	}
	c.timeW = fyne.MeasureText("00:00", c.textSize, fyne.TextStyle{}).Width
	c.nickW = fyne.MeasureText("nicknamenick", c.textSize, fyne.TextStyle{Bold: true}).Width
	// A row is one line of text high; the list puts pad between rows,
	// which makes the line spacing of a multi-line message.
	c.rowH = float32(int(fyne.MeasureText("Mg", c.textSize, fyne.TextStyle{}).Height + 0.99))
	c.bodyX = c.gap + c.timeW + 2*c.gap + c.nickW + 2*c.gap
	changed := c != m.cols
	if changed {
		m.advance = [len(m.advance)]float32{}
	}
	m.cols = c
	return changed
}

// textWidth is the width a line of text may take in the current size.
func (m *messageList) textWidth() float32 {
	w := m.Size().Width - m.cols.bodyX - m.cols.gap - m.cols.scrollBar
	if w < m.cols.textSize {
		w = m.cols.textSize // too narrow to matter; still progress
	}
	return w
}

// pitch is the distance between two rows.
func (m *messageList) pitch() float32 {
	return m.cols.rowH + m.cols.pad
}

// atBottom reports whether the view shows the last line, judged with n
// lines in the list.
func (m *messageList) atBottom(n int) bool {
	content := float32(n)*m.pitch() - m.cols.pad
	view := m.list.Size().Height
	return content <= view || m.list.GetScrollOffset() >= content-view-m.pitch()
}

// relayout lays every line out again if the width changed (or force).
func (m *messageList) relayout(force bool) {
	if m.Size().Width <= 0 {
		return
	}
	w := m.textWidth()
	if !force && w == m.lay.Width() {
		return
	}
	bottom := m.atBottom(m.shown)
	var anchor uint64
	if !bottom && m.lay.Len() > 0 {
		top := int(m.list.GetScrollOffset() / m.pitch())
		if top >= m.lay.Len() {
			top = m.lay.Len() - 1
		}
		anchor = m.lay.At(top).Seq
	}
	m.lay.Rebuild(m.log, w)
	m.shown, m.dropped = m.lay.Len(), 0
	m.gen++
	m.list.Refresh()
	if bottom {
		m.toBottom()
	} else if i, ok := m.lay.Find(anchor); ok {
		m.list.ScrollToOffset(float32(i) * m.pitch())
	}
}

// append adds e to the log and lays it out; the list shows it at the next
// flush. It returns e's Seq.
//
// While the log is cut from the present, e is not added (it would leave
// a hole) and append returns 0; a chat message is counted on the jump
// button.
func (m *messageList) append(e chatlog.Entry) uint64 {
	if m.cut {
		if e.Kind == chatlog.KindChat && !e.Own {
			m.missed++
			m.showJump()
		}
		return 0
	}
	seq := m.log.Append(e)
	m.added1(seq)
	return seq
}

// appendPending adds an own message waiting for its echo.
// Sending returns a cut log to the present first.
func (m *messageList) appendPending(cid string, e chatlog.Entry) uint64 {
	if m.cut {
		m.backToPresent()
	}
	seq := m.log.AppendPending(cid, e)
	m.added1(seq)
	return seq
}

func (m *messageList) added1(seq uint64) {
	before := m.lay.Len()
	m.lay.DropBefore(m.log.FirstSeq())
	m.dropped += before - m.lay.Len()
	i, _ := m.log.Index(seq)
	e := m.log.At(i)
	m.lay.Add(e)
	if e.Kind == chatlog.KindChat && !e.Own {
		m.added++
	}
	m.dirty = true
}

// changed redraws entry seq after its state changed; textChanged lays
// everything out again (the server cleaned a text differently).
func (m *messageList) changed(textChanged bool) {
	if textChanged {
		m.relayout(true)
	}
	m.gen++
	m.dirty = true
}

// flush shows what was appended since the last flush. If the view was
// at the bottom it stays there; otherwise it stays on the lines it showed
// and the jump button counts new messages.
//
// At the bottom, when only new lines came, the list is scrolled rather
// than refreshed: a scroll sets up just the rows that come into view,
// with rows recycled from those that left, whereas a refresh redraws every
// row and throws away the recycled ones, so that the next scroll creates
// new ones (and Fyne keeps each for a minute): under a flood that is
// hundreds of rows a second. A refresh is still needed when rows change
// in place: lines dropped at the front shift every row, a state changed,
// or the lines did not fill the view before.
//
// Away from the bottom, when only new lines came (below the view), the
// refresh waits until belowEvery after the last one.
func (m *messageList) flush() {
	if !m.dirty {
		return
	}
	bottom := m.atBottom(m.shown)
	if !bottom && m.dropped == 0 && m.gen == m.shownGen {
		if wait := belowEvery - m.now().Sub(m.belowAt); wait > 0 {
			if !m.belowOwed {
				m.belowOwed = true
				m.after(wait, func() {
					m.belowOwed = false
					m.flush()
				})
			}
			return
		}
		m.belowAt = m.now()
	}
	m.dirty = false
	offset := m.list.GetScrollOffset()
	filled := float32(m.shown)*m.pitch() > m.list.Size().Height
	m.shown = m.lay.Len()
	if bottom && filled && m.dropped == 0 && m.gen == m.shownGen {
		m.toBottom()
		m.added = 0
		return
	}
	m.shownGen = m.gen
	m.list.Refresh()
	if bottom {
		m.toBottom()
	} else {
		if m.dropped > 0 {
			m.list.ScrollToOffset(max(0, offset-float32(m.dropped)*m.pitch()))
		}
		m.unseen += m.added
		if m.unseen > 0 || m.cut {
			m.showJump()
		}
	}
	m.dropped, m.added = 0, 0
}

// scrollToBottom is the jump button's action.
// A cut log returns to the present instead.
func (m *messageList) scrollToBottom() {
	if m.cut {
		m.backToPresent()
		return
	}
	m.toBottom()
}

func (m *messageList) toBottom() {
	n := m.lay.Len()
	m.list.ScrollToOffset(float32(n) * m.pitch())
	m.unseen = 0
	if m.cut {
		m.showJump()
		return
	}
	m.jump.Hide()
}

// createRow is the list's CreateItem. widget.List calls it on every
// refresh for its template, so it stays cheap.
func (m *messageList) createRow() fyne.CanvasObject {
	return newLineRow(m)
}

// updateRow is the list's UpdateItem.
func (m *messageList) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*lineRow)
	if id < 0 || id >= m.lay.Len() {
		return
	}
	ln := m.lay.At(id)
	i, ok := m.log.Index(ln.Seq)
	if !ok {
		return
	}
	r.show(ln, m.log.At(i))
	if id == 0 {
		m.topShown()
	}
	if id == m.lay.Len()-1 && m.unseen > 0 && !m.cut && m.atBottom(m.shown) {
		// The user scrolled down to the newest line by themselves.
		m.unseen = 0
		m.jump.Hide()
	}
}

// color returns a theme colour for the current variant.
func (m *messageList) color(name fyne.ThemeColorName) color.Color {
	return fyne.CurrentApp().Settings().Theme().Color(name, fyne.CurrentApp().Settings().ThemeVariant())
}

func (m *messageList) open(u *url.URL) {
	if m.openURL != nil {
		m.openURL(u)
		return
	}
	if err := fyne.CurrentApp().OpenURL(u); err != nil {
		fyne.LogError("open link", err)
	}
}

// lineRow draws one Line: time and sender on an entry's first line, then
// the piece of text in runs of canvas text, with links as Hyperlinks.
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
	i, ok := r.m.log.Index(r.seq)
	if !ok {
		return nil
	}
	e := r.m.log.At(i)
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

// plural formats n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
