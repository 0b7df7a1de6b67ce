package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

// The compose box's cursor blinks by fading, and every step of the fade
// redraws the whole window: about a dozen frames a second, which Mesa's
// software renderer turns into several percent of a core while the window
// sits focused and idle. Like GTK (gtk-cursor-blink-timeout), the cursor
// blinks for a while after the last input, then stays solid until the
// next one.

// cursorBlinkFor is how long the cursor blinks after the last input.
const cursorBlinkFor = 10 * time.Second

// cursorHoldEvery is how often a resting cursor is held solid. Fyne's
// Entry pauses its blink, with the cursor solid, for 300 ms after each
// key it handles (so that the cursor does not vanish while typing); a
// nameless key this often keeps it paused without drawing a frame.
const cursorHoldEvery = 200 * time.Millisecond

// holdCursor keeps the cursor solid for the next 300 ms. The Entry pauses
// its blink for any key, then ignores a key without a name. Not while
// text is selected, where keys extend the selection.
func (e *composeEntry) holdCursor() {
	if e.Disabled() || e.SelectedText() != "" {
		return
	}
	e.holds++
	e.Entry.TypedKey(&fyne.KeyEvent{})
}

// active is input to the compose box: the cursor blinks again.
func (e *composeEntry) active() {
	if e.OnActive != nil {
		e.OnActive()
	}
}

// TypedRune is input.
func (e *composeEntry) TypedRune(r rune) {
	e.active()
	e.Entry.TypedRune(r)
}

// FocusGained is input.
func (e *composeEntry) FocusGained() {
	e.active()
	e.Entry.FocusGained()
}

// MouseDown is input.
func (e *composeEntry) MouseDown(ev *desktop.MouseEvent) {
	e.active()
	e.Entry.MouseDown(ev)
}

// cursorActive follows input to the compose box and the window coming
// to the front: the cursor blinks for cursorBlinkFor, then is held.
func (u *UI) cursorActive() {
	u.holdGen++ // ends a hold in progress
	u.blink.touch()
}

// holdCursor starts holding the cursor solid, until the next input.
func (u *UI) holdCursor() {
	u.holdGen++
	u.holdTick(u.holdGen)
}

// holdTick holds the cursor and schedules the next tick, unless the hold
// was ended or the compose box cannot blink now (the window or the box
// lost the focus: the blink stops by itself, and the focus coming back
// is input).
func (u *UI) holdTick(gen int) {
	if gen != u.holdGen || u.closed || !u.focused || u.win.Canvas().Focused() != fyne.Focusable(u.entry) {
		return
	}
	u.entry.holdCursor()
	u.after(cursorHoldEvery, func() { u.holdTick(gen) })
}
