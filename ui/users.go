package ui

import (
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"parley/net/wire"
)

// userList is the panel of people in the room. Changes are collected and
// the panel redrawn once per flush.
type userList struct {
	byFold map[string]wire.User
	sorted []wire.User
	self   string // folded own nickname
	plain  bool   // plain-text server: nobody is known
	// away says why nobody is listed while not in a chat or
	// reconnecting; empty while the list is live.
	away  string
	dirty bool

	// onPick opens the menu of a person picked in the list, under its
	// row (peoplemenu.go); nil does nothing.
	onPick func(u wire.User, at fyne.Position, from fyne.CanvasObject)

	header *widget.Label
	note   *widget.Label
	list   *widget.List
	panel  fyne.CanvasObject
}

// Reasons the user list is empty, shown in its place.
const (
	usersNotInChat    = "Not in a chat."
	usersReconnecting = "Reconnecting… The list comes back with the connection."
	usersPlainUnknown = "A plain-text server does not say who is here."
)

func newUserList() *userList {
	l := &userList{byFold: make(map[string]wire.User), away: usersNotInChat, dirty: true}
	l.header = widget.NewLabelWithStyle("People", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.note = widget.NewLabel("")
	l.note.Wrapping = fyne.TextWrapWord
	// Italic rather than a low-importance colour, which the light
	// theme draws too faint to read.
	l.note.TextStyle.Italic = true
	l.note.Hide()
	l.list = widget.NewList(
		func() int { return len(l.sorted) },
		func() fyne.CanvasObject {
			dot := canvas.NewCircle(theme.Color(theme.ColorNameSuccess))
			holder := container.NewCenter(container.NewGridWrap(fyne.NewSize(8, 8), dot))
			name := widget.NewLabel("")
			name.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, holder, nil, name)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(l.sorted) {
				return
			}
			u := l.sorted[id]
			c := o.(*fyne.Container)
			name := c.Objects[0].(*widget.Label)
			dot := c.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Objects[0].(*canvas.Circle)
			name.TextStyle.Bold = wire.FoldNick(u.Nick) == l.self
			name.SetText(l.rowText(id))
			col := theme.ColorNameSuccess
			if u.Status == wire.Away || u.Plain {
				col = theme.ColorNamePlaceHolder
			}
			dot.FillColor = theme.Color(col)
			dot.Refresh()
		})
	l.list.OnSelected = func(id widget.ListItemID) {
		l.list.Unselect(id)
		if l.onPick != nil && id < len(l.sorted) {
			l.onPick(l.sorted[id], l.rowBottom(id), l.list)
		}
	}
	l.panel = container.NewBorder(container.NewVBox(l.header, l.note), nil, nil, nil, l.list)
	l.flush() // says that nobody is listed: not in a chat yet
	return l
}

// rowText is what row i shows: the nickname, the status, and whether it
// is the user.
func (l *userList) rowText(i int) string {
	u := l.sorted[i]
	text := u.Nick
	switch {
	case u.Plain:
		text += " (plain)"
	case u.Status == wire.Away:
		text += " (away)"
	case u.Status != "" && u.Status != wire.Active:
		text += " (" + string(u.Status) + ")"
	}
	switch u.Role {
	case wire.RoleHost:
		text += " (host)"
	case wire.RoleMod:
		text += " (moderator)"
	}
	if wire.FoldNick(u.Nick) == l.self {
		text += " — you"
	}
	return text
}

// complete returns the nicknames of the others listed that start with
// prefix, ignoring case, in the list's order.
func (l *userList) complete(prefix string) []string {
	p := wire.FoldNick(prefix)
	var out []string
	for _, u := range l.sorted {
		f := wire.FoldNick(u.Nick)
		if f != l.self && strings.HasPrefix(f, p) {
			out = append(out, u.Nick)
		}
	}
	return out
}

// set replaces the whole list, as a welcome does.
func (l *userList) set(users []wire.User, self string) {
	clear(l.byFold)
	for _, u := range users {
		l.byFold[wire.FoldNick(u.Nick)] = u
	}
	l.self = wire.FoldNick(self)
	l.plain = false
	l.away = ""
	l.dirty = true
}

// setPlain says that a plain server has no user list.
func (l *userList) setPlain() {
	clear(l.byFold)
	l.plain = true
	l.away = ""
	l.dirty = true
}

// clear empties the list while not in a chat, or while reconnecting, and
// shows why in its place: whoever was listed may have left meanwhile.
func (l *userList) clear(why string) {
	clear(l.byFold)
	l.plain = false
	l.away = why
	l.dirty = true
}

func (l *userList) join(u wire.User) {
	l.byFold[wire.FoldNick(u.Nick)] = u
	l.dirty = true
}

func (l *userList) leave(nick string) {
	delete(l.byFold, wire.FoldNick(nick))
	l.dirty = true
}

func (l *userList) rename(from, to string, self bool) {
	u, ok := l.byFold[wire.FoldNick(from)]
	if !ok {
		u = wire.User{Status: wire.Active}
	}
	delete(l.byFold, wire.FoldNick(from))
	u.Nick = to
	l.byFold[wire.FoldNick(to)] = u
	if self {
		l.self = wire.FoldNick(to)
	}
	l.dirty = true
}

func (l *userList) status(nick string, p wire.Presence) {
	if u, ok := l.byFold[wire.FoldNick(nick)]; ok {
		u.Status = p
		l.byFold[wire.FoldNick(nick)] = u
		l.dirty = true
	}
}

// names returns the nicknames shown, in order (for tests).
func (l *userList) names() []string {
	out := make([]string, len(l.sorted))
	for i, u := range l.sorted {
		out[i] = u.Nick
	}
	return out
}

// flush redraws the panel if anything changed.
func (l *userList) flush() {
	if !l.dirty {
		return
	}
	l.dirty = false
	l.sorted = l.sorted[:0]
	for _, u := range l.byFold {
		l.sorted = append(l.sorted, u)
	}
	sort.Slice(l.sorted, func(i, j int) bool {
		a, b := wire.FoldNick(l.sorted[i].Nick), wire.FoldNick(l.sorted[j].Nick)
		if a != b {
			return a < b
		}
		return l.sorted[i].Nick < l.sorted[j].Nick
	})
	switch {
	case l.away != "":
		l.header.SetText("People")
		l.note.SetText(l.away)
		l.note.Show()
	case l.plain:
		l.header.SetText("People")
		l.note.SetText(usersPlainUnknown)
		l.note.Show()
	default:
		l.header.SetText(fmt.Sprintf("People — %d", len(l.sorted)))
		l.note.Hide()
	}
	l.list.Refresh()
}

// role sets someone's role as shown.
func (l *userList) role(nick string, r wire.Role) {
	if u, ok := l.byFold[wire.FoldNick(nick)]; ok {
		u.Role = r
		l.byFold[wire.FoldNick(nick)] = u
		l.dirty = true
	}
}

// rowBottom is where, relative to the list, row id ends: where its menu
// opens.
func (l *userList) rowBottom(id widget.ListItemID) fyne.Position {
	row := l.list.CreateItem().MinSize().Height + theme.Padding()
	return fyne.NewPos(theme.Padding()*4, float32(id+1)*row-l.list.GetScrollOffset())
}
