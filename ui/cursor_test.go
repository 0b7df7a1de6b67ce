package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// TestCursorHeldAfterIdle: the compose box's cursor blinks for
// cursorBlinkFor after the last input, is then held solid every
// cursorHoldEvery without changing the text or the cursor's place, blinks
// again on input, and is not held while the window is in the background.
func TestCursorHeldAfterIdle(t *testing.T) {
	u, c := clockedUI(t)
	u.blink.armed = false // forget the real timer the first focus armed
	u.entry.Enable()      // as in a chat; a disabled box has no cursor
	u.win.Canvas().Focus(u.entry)

	test.Type(u.entry, "hi")
	u.entry.TypedKey(&fyne.KeyEvent{Name: fyne.KeyLeft})
	c.advance(cursorBlinkFor - time.Second)
	if u.entry.holds != 0 {
		t.Fatalf("cursor held %d times within %v of typing", u.entry.holds, cursorBlinkFor-time.Second)
	}
	c.advance(time.Second + 10*cursorHoldEvery)
	if h := u.entry.holds; h < 10 || h > 11 {
		t.Fatalf("cursor held %d times in %v after the blink ended, want 10 or 11", h, 10*cursorHoldEvery)
	}
	if u.entry.Text != "hi" || u.entry.CursorColumn != 1 {
		t.Fatalf("holding changed the box: text %q, cursor at %d (want \"hi\", 1)", u.entry.Text, u.entry.CursorColumn)
	}

	test.Type(u.entry, "!")
	held := u.entry.holds
	c.advance(cursorBlinkFor - time.Second)
	if u.entry.holds != held {
		t.Fatalf("cursor held %d times after typing, while it should blink", u.entry.holds-held)
	}
	c.advance(2 * time.Second)
	if u.entry.holds == held {
		t.Fatal("cursor not held again after the blink period")
	}

	u.setFocused(false)
	held = u.entry.holds
	c.advance(time.Minute)
	if u.entry.holds != held {
		t.Fatalf("cursor held %d times with the window in the background", u.entry.holds-held)
	}
	if len(c.timers) != 0 {
		t.Fatalf("%d timers pending in the background: want none", len(c.timers))
	}
	u.setFocused(true)
	c.advance(cursorBlinkFor + time.Second)
	if u.entry.holds == held {
		t.Fatal("cursor not held after the window came back and the blink period passed")
	}
}
