package ui

import (
	"fmt"
	"strings"

	"parley/net/nickname"
	"parley/net/wire"
	"parley/ui/chatlog"
)

// What the compose box sends: a message, or a /command.

// setHint shows (or with "" hides) a line under the compose box.
func (u *UI) setHint(text string) {
	if text == "" {
		if u.hint.Visible() {
			u.hint.Hide()
		}
		return
	}
	u.hint.SetText(text)
	u.hint.Show()
}

// submit sends what the compose box holds, or explains why not.
func (u *UI) submit(text string) {
	if strings.HasPrefix(text, "/") && !strings.HasPrefix(text, "//") {
		if u.command(strings.TrimSpace(text)) {
			u.entry.AddHistory(text)
			u.entry.SetText("")
		}
		return
	}
	typed := text
	text = strings.TrimPrefix(text, "/")
	s := u.sess
	if s == nil {
		u.setHint("You are not in a chat. Connect (Ctrl+K) or host one first.")
		return
	}
	limits := s.c.Limits()
	clean, err := wire.CheckText(text, limits.MaxText)
	switch {
	case err == nil:
	case errorsIs(err, wire.ErrTextEmpty):
		return // nothing to send; Enter on an empty box does nothing
	case errorsIs(err, wire.ErrTextLong):
		u.setHint(fmt.Sprintf("This message is too long to send: %s, and the server takes at most %s. Shorten it or send it in parts.",
			byteSize(len(wire.CleanText(text))), byteSize(limits.MaxText)))
		return
	default:
		u.setHint("This message cannot be sent: " + err.Error() + ".")
		return
	}
	if u.social.submit(clean, typed) {
		return
	}
	cid, err := s.c.Send(clean)
	if err != nil {
		u.setHint("Not sent: " + err.Error() + ".")
		return
	}
	u.msgs.appendPending(cid, chatlog.Entry{Time: u.now().UnixMilli(), From: s.c.Nick(), Text: clean})
	u.entry.AddHistory(typed)
	u.entry.SetText("")
	u.setHint("")
	u.msgs.flush()
	u.msgs.toBottom()
}

// command runs a /command typed in the compose box and reports whether
// it was understood (then the box is cleared).
func (u *UI) command(line string) bool {
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	s := u.sess
	switch strings.ToLower(name) {
	case "/nick":
		if s == nil {
			u.setHint("You are not in a chat.")
			return false
		}
		if _, err := nickname.Check(arg); err != nil {
			u.setHint("That nickname cannot be used: " + err.Error() + ".")
			return false
		}
		if err := s.c.SetNick(arg); err != nil {
			u.setHint("Could not change your nickname: " + err.Error() + ".")
			return false
		}
		return true
	case "/away", "/back":
		if s == nil {
			u.setHint("You are not in a chat.")
			return false
		}
		p := wire.Active
		if strings.EqualFold(name, "/away") {
			p = wire.Away
		}
		if err := s.c.SetStatus(p); err != nil {
			u.setHint("Could not change your status: " + err.Error() + ".")
			return false
		}
		u.setAwayMenu(p == wire.Away)
		return true
	case "/msg", "/topic", "/host", "/kick", "/ban", "/mute", "/unban", "/unmute", "/op", "/deop":
		return u.social.command(strings.ToLower(name), arg)
	case "/help":
		u.system(chatlog.KindInfo, "Commands: /nick NAME changes your nickname, /away and /back set your status, /msg NICK text talks to one person, //text sends text that starts with a slash. Tab completes a nickname. The host and moderators also have /topic, /kick, /ban, /mute, /unban, /unmute, /op and /deop.")
		u.msgs.flush()
		return true
	}
	u.setHint(fmt.Sprintf("Unknown command %s. Type /help for the list, or //%s to send it as a message.", name, strings.TrimPrefix(line, "/")))
	return false
}

func (u *UI) toggleAway() {
	s := u.sess
	if s == nil || s.c.Plain() {
		return
	}
	away := !u.menuAway.Checked
	p := wire.Active
	if away {
		p = wire.Away
	}
	if err := s.c.SetStatus(p); err != nil {
		u.system(chatlog.KindError, "Could not change your status: "+err.Error())
		u.msgs.flush()
		return
	}
	u.setAwayMenu(away)
}

func (u *UI) setAwayMenu(away bool) {
	u.menuAway.Checked = away
	u.refreshMenu()
}

// byteSize formats a byte count for people.
func byteSize(n int) string {
	switch {
	case n >= 10<<10:
		return fmt.Sprintf("%d KB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
