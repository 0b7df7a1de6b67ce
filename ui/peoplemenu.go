package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"parley/net/wire"
	"parley/ui/chatlog"
)

// The people list opens a menu on each person: Message, and for the host
// and moderators, Kick, Mute, Ban and (host only) Make moderator.

// The times the people menu offers.
const (
	menuMute = 10 * time.Minute
	menuBan  = time.Hour
)

// menuItems is the people menu of a person: what this user may do to
// them. Empty for oneself, and outside a chat.
func (s *social) menuItems(who wire.User) []*fyne.MenuItem {
	m, ok := s.moderator()
	if !ok || s.u.sess.plain || wire.FoldNick(who.Nick) == wire.FoldNick(s.u.sess.c.Nick()) {
		return nil
	}
	nick := who.Nick
	items := []*fyne.MenuItem{fyne.NewMenuItem("Message", func() { s.open(nick) })}
	mine := m.Role()
	if mine == "" || who.Role == wire.RoleHost || (who.Role == wire.RoleMod && mine != wire.RoleHost) {
		return items
	}
	act := func(label string, do func() (string, error)) *fyne.MenuItem {
		return fyne.NewMenuItem(label, func() {
			if _, err := do(); err != nil {
				s.u.system(chatlog.KindError, "Not done: "+errText(err)+".")
				s.u.msgs.flush()
			}
		})
	}
	// Kick, mute and ban ask for a reason first (reason.go).
	asked := func(label, title, confirm, what string, do func(reason string) (string, error)) *fyne.MenuItem {
		return act(label, func() (string, error) {
			s.askReason(title, confirm, what, func(reason string) {
				if _, err := do(reason); err != nil {
					s.u.system(chatlog.KindError, "Not done: "+errText(err)+".")
					s.u.msgs.flush()
				}
			})
			return "", nil
		})
	}
	items = append(items, fyne.NewMenuItemSeparator(),
		asked("Kick…", "Kick "+nick, "Kick", "Remove "+nick+" from the chat. They can come back.",
			func(r string) (string, error) { return m.Kick(nick, r) }),
		asked("Mute for 10 minutes…", "Mute "+nick, "Mute", nick+" will not be able to write for 10 minutes.",
			func(r string) (string, error) { return m.Mute(nick, menuMute, r) }),
		asked("Ban for 1 hour…", "Ban "+nick, "Ban", "Remove "+nick+" and keep them out for 1 hour, under any nickname from the same session.",
			func(r string) (string, error) { return m.Ban(nick, menuBan, r) }))
	if mine == wire.RoleHost {
		if who.Role == wire.RoleMod {
			items = append(items, act("Remove moderator", func() (string, error) { return m.Deop(nick) }))
		} else {
			items = append(items, act("Make moderator", func() (string, error) { return m.Op(nick) }))
		}
	}
	return items
}

// pick opens the people menu of who at the position at, relative to from
// (the list, which puts it under the person's row).
func (s *social) pick(who wire.User, at fyne.Position, from fyne.CanvasObject) {
	items := s.menuItems(who)
	if len(items) == 0 {
		return
	}
	menu := fyne.NewMenu(who.Nick, items...)
	widget.ShowPopUpMenuAtRelativePosition(menu, s.u.win.Canvas(), at, from)
}
