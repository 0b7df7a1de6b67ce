package ui

import (
	"fyne.io/fyne/v2/widget"

	"parley/net/wire"
)

// Handles on the private conversations, the topic and the people menu for
// the external tests.

// PeopleRows returns the people list's rows as shown.
func (u *UI) PeopleRows() []string {
	u.users.flush()
	out := make([]string, len(u.users.sorted))
	for i := range u.users.sorted {
		out[i] = u.users.rowText(i)
	}
	return out
}

// person returns the listed user called nick.
func (u *UI) person(nick string) wire.User {
	return u.users.byFold[wire.FoldNick(nick)]
}

// PeopleMenu returns the labels of nick's menu in the people list ("" for
// a separator).
func (u *UI) PeopleMenu(nick string) []string {
	var out []string
	for _, it := range u.social.menuItems(u.person(nick)) {
		out = append(out, it.Label)
	}
	return out
}

// PickPerson picks label in nick's menu, and reports whether it was
// there.
func (u *UI) PickPerson(nick, label string) bool {
	for _, it := range u.social.menuItems(u.person(nick)) {
		if it.Label == label && it.Action != nil {
			it.Action()
			return true
		}
	}
	return false
}

// Conversations returns the titles of the conversation tabs, the room's
// left out.
func (u *UI) Conversations() []string {
	if u.social.tabs == nil {
		return nil
	}
	var out []string
	for _, it := range u.social.tabs.Items[1:] {
		out = append(out, it.Text)
	}
	return out
}

// ShowConversation selects the tab of the conversation with nick.
func (u *UI) ShowConversation(nick string) {
	u.social.tabs.Select(u.social.byFold[wire.FoldNick(nick)].item)
}

// ShowRoom selects the room's tab.
func (u *UI) ShowRoom() {
	if u.social.tabs != nil {
		u.social.tabs.Select(u.social.room)
	}
}

// ConversationLines returns the lines of the conversation with nick.
func (u *UI) ConversationLines(nick string) []string {
	d := u.social.byFold[wire.FoldNick(nick)]
	if d == nil {
		return nil
	}
	var out []string
	for _, o := range d.lines.Objects {
		out = append(out, o.(*widget.Label).Text)
	}
	return out
}

// Topic returns the topic bar's text, "" while it is hidden.
func (u *UI) Topic() string {
	if !u.social.topic.Visible() {
		return ""
	}
	return u.social.topic.Text
}
