package ui

import (
	"fyne.io/fyne/v2"

	"parley/net/wire"
)

// ConversationPane returns what the tab of the conversation with nick
// shows (its header, with the Close button, and its lines), or nil.
func (u *UI) ConversationPane(nick string) fyne.CanvasObject {
	d := u.social.byFold[wire.FoldNick(nick)]
	if d == nil {
		return nil
	}
	return d.item.Content
}

// RoomInTabs reports whether the room is shown in a tab (true) or alone,
// as before any conversation (false).
func (u *UI) RoomInTabs() bool { return u.social.tabs != nil }
