package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"fyne.io/fyne/v2"

	"parley/net/wire"
	"parley/ui/chatlog"
)

// Saved chats: when the user leaves a chat or closes the window, the
// newest messages of the chat (at most savedKeep) are written to a file
// of their own in the data folder, one per server address. Dialling that
// server again shows them at once, before the connection is up; the
// welcome's backlog then skips the messages already shown (same server
// epoch, ids not above the last one kept). Chat → "Keep a local log"
// turns it off, "Clear local logs" deletes the files.
//
// The menu, the messages and the folder ("chatlogs") call a saved chat a
// local log, the users' word. The code calls it a saved chat, to keep it
// apart from the chat in memory (chatlog.Log, a message list's entries)
// and from the window's logger (UI.logger).

// prefSaveChats is the preference for saving chats (default on).
const prefSaveChats = "locallog"

// savedKeep is how many messages a saved chat keeps.
const savedKeep = 200

// savedChat is what the file of a saved chat holds.
type savedChat struct {
	Addr  string     `json:"addr"`
	Room  string     `json:"room"`
	Epoch string     `json:"epoch"`
	Msgs  []wire.Msg `json:"msgs"`
}

// savedDir is the folder of the saved chats.
func (u *UI) savedDir() string { return filepath.Join(u.dataDir(), "chatlogs") }

// savedPath is the file of the chat at addr.
func (u *UI) savedPath(addr string) string {
	sum := sha256.Sum256([]byte(addr))
	return filepath.Join(u.savedDir(), hex.EncodeToString(sum[:8])+".json")
}

// saving reports whether chats are saved.
func (u *UI) saving() bool {
	return u.app.Preferences().BoolWithFallback(prefSaveChats, true)
}

// saveChat writes the newest messages of session s to its file.
// A log cut from the present (see scrollback.go) is not the recent
// conversation and is not saved.
func (u *UI) saveChat(s *session) {
	if !u.saving() || s.plain || s.welcome.Epoch == "" || u.msgs.cut {
		return
	}
	l := u.msgs.entries
	var msgs []wire.Msg
	for i := l.Len() - 1; i >= 0 && len(msgs) < savedKeep; i-- {
		e := l.At(i)
		if e.Seq < s.saved.from {
			break // an earlier chat's
		}
		if e.Kind == chatlog.KindChat && e.ID != 0 && e.State == chatlog.Delivered {
			msgs = append(msgs, wire.Msg{ID: e.ID, Time: e.Time, From: e.From, Text: e.Text})
		}
	}
	if len(msgs) == 0 {
		return
	}
	for i, j := 0, len(msgs)-1; i < j; i, j = i+1, j-1 {
		msgs[i], msgs[j] = msgs[j], msgs[i]
	}
	if err := writeSaved(u.savedPath(s.addr), savedChat{Addr: s.addr, Room: s.welcome.Room, Epoch: s.welcome.Epoch, Msgs: msgs}); err != nil {
		u.logger.Warn("local log not saved", "addr", s.addr, "err", err)
	}
}

// writeSaved writes f to path through a temporary file, so that a crash
// leaves the old file or the new one, never half of one.
func writeSaved(path string, f savedChat) error {
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("local log: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("local log: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("local log: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("local log: %w", err)
	}
	return nil
}

// readSaved reads the saved chat of addr; a missing one is not an error.
func readSaved(path, addr string) (savedChat, error) {
	var f savedChat
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("local log: %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return savedChat{}, fmt.Errorf("local log %s: %w", path, err)
	}
	if f.Addr != addr {
		return savedChat{}, nil // a hash collision, or a file from elsewhere
	}
	return f, nil
}

// savedShown is what showSaved showed: the welcome's backlog skips the
// messages of the same epoch up to last, and the chat is saved from Seq
// from on.
type savedShown struct {
	epoch string
	last  uint64
	from  uint64
}

// showSaved shows the saved chat of addr before connecting, when the
// window is in no chat (else the list belongs to that one).
func (u *UI) showSaved(addr string) (shown savedShown) {
	shown.from = u.msgs.entries.FirstSeq() + uint64(u.msgs.entries.Len())
	if !u.saving() || u.sess != nil {
		return shown
	}
	f, err := readSaved(u.savedPath(addr), addr)
	if err != nil {
		u.logger.Warn("local log not read", "addr", addr, "err", err)
		return shown
	}
	if len(f.Msgs) == 0 {
		return shown
	}
	if u.msgs.cut {
		u.msgs.empty()
		u.msgs.setCut(false)
		shown.from = u.msgs.entries.FirstSeq()
	}
	u.system(chatlog.KindInfo, fmt.Sprintf("Your local log of %s at %s: the last %s from your previous visit.",
		f.Room, addr, plural(len(f.Msgs), "message", "messages")))
	for _, m := range f.Msgs {
		u.dayLine(m.Time)
		u.msgs.append(chatlog.Entry{Kind: chatlog.KindChat, ID: m.ID, Time: m.Time, From: m.From, Text: m.Text})
	}
	u.msgs.flush()
	u.msgs.toBottom()
	shown.epoch, shown.last = f.Epoch, f.Msgs[len(f.Msgs)-1].ID
	return shown
}

// toggleSaving is the "Keep a local log" menu item.
func (u *UI) toggleSaving() {
	on := !u.saving()
	u.app.Preferences().SetBool(prefSaveChats, on)
	u.menuSaving.Checked = on
	u.refreshMenu()
}

// clearSaved is the "Clear local logs" menu item.
func (u *UI) clearSaved() {
	u.confirm("Clear local logs", "Delete the local logs of every chat? The servers keep their own history.",
		"Delete", "Cancel", true, func() {
			if err := os.RemoveAll(u.savedDir()); err != nil {
				u.inform("Clear local logs", "The local logs could not be deleted: "+err.Error()+".", nil)
				return
			}
			u.system(chatlog.KindInfo, "The local logs were deleted.")
			u.msgs.flush()
		})
}

// savedMenu returns the menu items of saved chats.
func (u *UI) savedMenu() []*fyne.MenuItem {
	u.menuSaving = fyne.NewMenuItem("Keep a local log", u.toggleSaving)
	u.menuSaving.Checked = u.saving()
	return []*fyne.MenuItem{u.menuSaving, fyne.NewMenuItem("Clear local logs…", u.clearSaved)}
}
