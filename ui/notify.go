package ui

import (
	"fmt"
	"time"
	"unicode/utf8"

	"fyne.io/fyne/v2"
)

// notifyEvery is the shortest time between two desktop notifications.
// Messages that arrive sooner are counted and announced together when it
// has passed, so a busy room makes one notification every few seconds,
// not one per message.
const notifyEvery = 5 * time.Second

// notifier turns messages that arrive while the window is unfocused into
// rate-limited desktop notifications. It lives on the UI goroutine; after
// schedules a function on it later.
type notifier struct {
	send    func(*fyne.Notification)
	now     func() time.Time
	after   func(time.Duration, func())
	every   time.Duration
	enabled bool

	last    time.Time // when the last notification went out
	held    int       // messages held back since then
	room    string    // of the newest held message
	from    string
	armed   bool // a flush of held messages is scheduled
	resetAt int  // bumped by reset, so that a stale flush does nothing
}

func newNotifier(send func(*fyne.Notification), now func() time.Time, after func(time.Duration, func())) *notifier {
	return &notifier{send: send, now: now, after: after, every: notifyEvery, enabled: true}
}

// message announces a message from someone else that arrived while the
// window was not focused: at once if the last notification is old enough,
// otherwise later, together with the others held back.
func (n *notifier) message(room, from, text string) {
	if !n.enabled {
		return
	}
	now := n.now()
	if n.held == 0 && now.Sub(n.last) >= n.every {
		n.last = now
		title := from
		if from == "" {
			title = room
		} else {
			title = from + " in " + room
		}
		n.send(fyne.NewNotification(title, preview(text, 140)))
		return
	}
	n.held++
	n.room, n.from = room, from
	if !n.armed {
		n.armed = true
		wait := n.every - now.Sub(n.last)
		gen := n.resetAt
		n.after(max(wait, 0), func() {
			if gen == n.resetAt {
				n.flush()
			}
		})
	}
}

// flush announces the messages held back.
func (n *notifier) flush() {
	n.armed = false
	if n.held == 0 || !n.enabled {
		n.held = 0
		return
	}
	text := plural(n.held, "new message", "new messages")
	if n.from != "" {
		text += fmt.Sprintf(", the latest from %s", n.from)
	}
	n.held = 0
	n.last = n.now()
	n.send(fyne.NewNotification(n.room, text))
}

// reset forgets held messages: the user is looking at the window.
func (n *notifier) reset() {
	n.held = 0
	n.armed = false
	n.resetAt++
}

// preview shortens text for a notification.
func preview(text string, max int) string {
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	r := []rune(text)
	return string(r[:max-1]) + "…"
}
