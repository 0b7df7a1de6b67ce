package ui

import (
	"fmt"
	"image/color"
	"net/url"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"parley/ui/chatlog"
)

// messageList shows a chatlog.Log: a widget.List with one row per visual
// chatlog.Line, a "new messages" button over it while the user reads
// older lines, and the logic that keeps the view at the bottom only when
// it already was there. It is changed only on the UI goroutine; batching
// is the caller's business (append many, then flush once).
type messageList struct {
	widget.BaseWidget

	// entries are the chat the list shows; lines are those entries
	// wrapped to the list's width, one per row.
	entries *chatlog.Log
	lines   *chatlog.Lines
	list    *widget.List
	jump    *widget.Button
	body    *fyne.Container

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

func newMessageList(entries *chatlog.Log) *messageList {
	m := &messageList{entries: entries, now: time.Now}
	m.after = func(d time.Duration, f func()) { time.AfterFunc(d, func() { fyne.Do(f) }) }
	m.lines = chatlog.NewLines(m.measure)
	m.list = widget.NewList(m.lines.Len, m.createRow, m.updateRow)
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
// measured again and every row redrawn. The base goes first, as it
// forgets the theme it cached, which measureColumns reads.
func (m *messageList) Refresh() {
	m.BaseWidget.Refresh()
	if m.measureColumns() {
		m.relayout(true)
	}
	m.gen++
	m.list.Refresh()
}

// measure is the width of s as a row's text is drawn, or a little more.
// Fyne shapes every string it measures, even a short one, too slowly to
// lay out 100,000 messages or a flood of them
// (docs/PERFORMANCE.md#gui-under-load).
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
	th := m.Theme()
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
	if !force && w == m.lines.Width() {
		return
	}
	bottom := m.atBottom(m.shown)
	var anchor uint64
	if !bottom && m.lines.Len() > 0 {
		top := int(m.list.GetScrollOffset() / m.pitch())
		if top >= m.lines.Len() {
			top = m.lines.Len() - 1
		}
		anchor = m.lines.At(top).Seq
	}
	m.lines.Rebuild(m.entries, w)
	m.shown, m.dropped = m.lines.Len(), 0
	m.gen++
	m.list.Refresh()
	if bottom {
		m.toBottom()
	} else if i, ok := m.lines.Find(anchor); ok {
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
	seq := m.entries.Append(e)
	m.layOutNewest(seq)
	return seq
}

// appendPending adds an own message waiting for its echo.
// Sending returns a cut log to the present first.
func (m *messageList) appendPending(cid string, e chatlog.Entry) uint64 {
	if m.cut {
		m.backToPresent()
	}
	seq := m.entries.AppendPending(cid, e)
	m.layOutNewest(seq)
	return seq
}

// layOutNewest follows an append of entry seq: the lines of the entries
// the cap pushed out go, the new entry's lines come, and the list is
// shown again at the next flush.
func (m *messageList) layOutNewest(seq uint64) {
	before := m.lines.Len()
	m.lines.DropBefore(m.entries.FirstSeq())
	m.dropped += before - m.lines.Len()
	i, _ := m.entries.Index(seq)
	e := m.entries.At(i)
	m.lines.Add(e)
	if e.Kind == chatlog.KindChat && !e.Own {
		m.added++
	}
	m.dirty = true
}

// changed redraws the entries after one's state changed; textChanged lays
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
	m.shown = m.lines.Len()
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
	n := m.lines.Len()
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
	if id < 0 || id >= m.lines.Len() {
		return
	}
	ln := m.lines.At(id)
	i, ok := m.entries.Index(ln.Seq)
	if !ok {
		return
	}
	r.show(ln, m.entries.At(i))
	if id == 0 {
		m.topShown()
	}
	if id == m.lines.Len()-1 && m.unseen > 0 && !m.cut && m.atBottom(m.shown) {
		// The user scrolled down to the newest line by themselves.
		m.unseen = 0
		m.jump.Hide()
	}
}

// color returns a colour of the list's theme, in the app's variant (light
// or dark), as Fyne's own widgets read it.
func (m *messageList) color(name fyne.ThemeColorName) color.Color {
	return m.Theme().Color(name, fyne.CurrentApp().Settings().ThemeVariant())
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

// plural formats n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
