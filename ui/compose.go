package ui

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
)

// composeEntry is the message box: a multi-line entry where Enter sends
// and Shift+Enter starts a new line, the way chat programs behave (Fyne's
// own multi-line Entry does the opposite).
type composeEntry struct {
	widget.Entry

	// OnSend is called with the text when Enter is pressed. The entry is
	// not cleared: the caller clears it if the text was accepted.
	OnSend func(text string)
	// OnEdit is called after every change of the text (the Entry's own
	// OnChanged is taken).
	OnEdit func(text string)
	// Complete returns the nicknames that start with prefix, in the order
	// Tab offers them; nil turns completion off.
	Complete func(prefix string) []string
	// OnActive is called on input to the box: keys, clicks, the focus.
	OnActive func()

	shift bool
	comp  *completion // the Tab completion in progress
	// history holds the messages sent, oldest first; hpos is the one
	// recalled, len(history) when none is.
	history []string
	hpos    int
	// holds counts holdCursor's pauses of the blink (for tests).
	holds int
}

// maxHistory is how many sent messages Up can recall.
const maxHistory = 100

// AddHistory records a message sent, for Up to recall.
func (e *composeEntry) AddHistory(text string) {
	if n := len(e.history); n == 0 || e.history[n-1] != text {
		e.history = append(e.history, text)
		if len(e.history) > maxHistory {
			e.history = append(e.history[:0], e.history[len(e.history)-maxHistory:]...)
		}
	}
	e.hpos = len(e.history)
}

// recall is Up (dir -1) or Down (+1) in an empty box, or on a recalled
// message left as it was: it steps through the messages sent, as in
// other chat programs, and Down past the newest empties the box. It
// reports whether it took the key; otherwise the key moves the cursor.
func (e *composeEntry) recall(dir int) bool {
	browsing := e.hpos < len(e.history) && e.Text == e.history[e.hpos]
	if len(e.history) == 0 || e.Disabled() || (!browsing && e.Text != "") || (!browsing && dir > 0) {
		return false
	}
	if !browsing {
		e.hpos = len(e.history)
	}
	n := e.hpos + dir
	switch {
	case n < 0:
		return true // the oldest stays
	case n >= len(e.history):
		e.hpos = len(e.history)
		e.SetText("")
		return true
	}
	e.hpos = n
	e.SetText(e.history[n])
	// To the end, where typing goes on: down the rows, which ends at
	// the end of the last one.
	for range e.history[n] {
		row := e.CursorRow
		e.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDown})
		if e.CursorRow == row {
			break
		}
	}
	e.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	return true
}

// completion is a Tab completion in progress: the candidates, the one
// shown, and the text and cursor right after it, by which the next Tab
// knows that nothing was typed since and offers the next candidate.
type completion struct {
	cands  []string
	i      int
	suffix string // ": " at the start of the message, else " "
	typed  int    // runes the last Tab put in
	text   string
	offset int
}

var (
	_ fyne.Widget       = (*composeEntry)(nil)
	_ desktop.Keyable   = (*composeEntry)(nil)
	_ fyne.Focusable    = (*composeEntry)(nil)
	_ fyne.Shortcutable = (*composeEntry)(nil)
	_ fyne.Tabbable     = (*composeEntry)(nil)
)

func newComposeEntry() *composeEntry {
	e := &composeEntry{}
	e.MultiLine = true
	e.Wrapping = fyne.TextWrapWord
	e.SetMinRowsVisible(2)
	e.OnChanged = e.changed
	e.ExtendBaseWidget(e)
	return e
}

// wrapLimit is the longest line, in bytes, the box wraps. Fyne's word
// wrapping costs about the square of a line's length (measured in
// docs/PERFORMANCE.md#gui-under-load), so a longer line, which only a
// paste makes, scrolls sideways instead of freezing the window.
const wrapLimit = 2000

// SetText replaces the text, choosing the wrapping before the Entry lays
// the new text out.
func (e *composeEntry) SetText(text string) {
	n := longestLine(text)
	if n > wrapLimit {
		e.fitWrap(n) // off before the long text goes in
	}
	e.Entry.SetText(text) // changed turns wrapping back on after
}

// TypedShortcut turns wrapping off before a paste that would make a line
// too long to wrap quickly.
func (e *composeEntry) TypedShortcut(s fyne.Shortcut) {
	e.active()
	if p, ok := s.(*fyne.ShortcutPaste); ok && p.Clipboard != nil {
		e.fitWrap(longestLine(e.Text) + longestLine(p.Clipboard.Content()))
	}
	e.Entry.TypedShortcut(s)
}

func (e *composeEntry) changed(text string) {
	e.fitWrap(longestLine(text))
	if e.OnEdit != nil {
		e.OnEdit(text)
	}
}

// fitWrap wraps words unless a line of n bytes is too long for that.
func (e *composeEntry) fitWrap(n int) {
	want := fyne.TextWrapWord
	if n > wrapLimit {
		want = fyne.TextWrapOff
	}
	if e.Wrapping != want {
		e.Wrapping = want
		e.Refresh()
	}
}

func longestLine(s string) int {
	longest := 0
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			i = len(s)
		}
		longest = max(longest, i)
		if i == len(s) {
			break
		}
		s = s[i+1:]
	}
	return longest
}

// KeyDown tracks Shift, which Fyne reports only as a key of its own.
func (e *composeEntry) KeyDown(key *fyne.KeyEvent) {
	e.active()
	if key.Name == desktop.KeyShiftLeft || key.Name == desktop.KeyShiftRight {
		e.shift = true
	}
	e.Entry.KeyDown(key)
}

// KeyUp tracks Shift.
func (e *composeEntry) KeyUp(key *fyne.KeyEvent) {
	if key.Name == desktop.KeyShiftLeft || key.Name == desktop.KeyShiftRight {
		e.shift = false
	}
	e.Entry.KeyUp(key)
}

// FocusLost forgets Shift: its release may go to another widget.
func (e *composeEntry) FocusLost() {
	e.shift = false
	e.Entry.FocusLost()
}

// AcceptsTab keeps Tab in the box while it holds text, where Tab
// completes nicknames as in other chat programs; in an empty box Tab
// moves the focus on, as elsewhere. (A multi-line Entry would insert a
// tab character.)
func (e *composeEntry) AcceptsTab() bool {
	return e.Text != "" && e.Complete != nil
}

// complete is Tab: it replaces the word before the cursor with the first
// nickname it starts, or, pressed again, with the next one (the previous
// one with Shift). At the start of the message the nickname is followed
// by a colon, as when addressing someone.
func (e *composeEntry) complete(back bool) {
	if e.Disabled() || e.Complete == nil {
		return
	}
	if c := e.comp; c != nil && e.Text == c.text && e.CursorTextOffset() == c.offset {
		step := 1
		if back {
			step = len(c.cands) - 1
		}
		c.i = (c.i + step) % len(c.cands)
		e.replace(c.typed, c.cands[c.i]+c.suffix)
		c.typed = utf8.RuneCountInString(c.cands[c.i] + c.suffix)
		c.text, c.offset = e.Text, e.CursorTextOffset()
		return
	}
	e.comp = nil
	runes := []rune(e.Text)
	end := min(e.CursorTextOffset(), len(runes))
	start := end
	for start > 0 && !unicode.IsSpace(runes[start-1]) {
		start--
	}
	if start == end {
		return
	}
	cands := e.Complete(string(runes[start:end]))
	if len(cands) == 0 {
		return
	}
	c := &completion{cands: cands, suffix: " "}
	if start == 0 {
		c.suffix = ": "
	}
	e.replace(end-start, cands[0]+c.suffix)
	c.typed = utf8.RuneCountInString(cands[0] + c.suffix)
	c.text, c.offset = e.Text, e.CursorTextOffset()
	e.comp = c
}

// replace deletes n runes before the cursor and types text, through the
// Entry's own editing, so that the cursor and undo follow.
func (e *composeEntry) replace(n int, text string) {
	for range n {
		e.Entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	}
	for _, r := range text {
		e.Entry.TypedRune(r)
	}
}

// TypedKey sends on Enter and leaves Shift+Enter to the Entry, which
// inserts a newline (it has no OnSubmitted, so it never submits). Tab
// completes nicknames.
func (e *composeEntry) TypedKey(key *fyne.KeyEvent) {
	e.active()
	switch key.Name {
	case fyne.KeyTab:
		e.complete(e.shiftHeld())
		return
	case fyne.KeyUp:
		if e.recall(-1) {
			return
		}
	case fyne.KeyDown:
		if e.recall(1) {
			return
		}
	}
	if (key.Name == fyne.KeyReturn || key.Name == fyne.KeyEnter) && !e.shiftHeld() && !e.Disabled() {
		if e.OnSend != nil {
			e.OnSend(e.Text)
		}
		return
	}
	e.Entry.TypedKey(key)
}

func (e *composeEntry) shiftHeld() bool {
	if e.shift {
		return true
	}
	if d, ok := fyne.CurrentApp().Driver().(desktop.Driver); ok {
		return d.CurrentKeyModifiers()&fyne.KeyModifierShift != 0
	}
	return false
}
