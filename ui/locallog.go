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

// The local log: when the user leaves a chat or closes the window, the
// newest messages of the chat (at most localKeep) are written to a file
// of their own in the data folder, one per server address. Dialling that
// server again shows them at once, before the connection is up; the
// welcome's backlog then skips the messages already shown (same server
// epoch, ids not above the last one kept). Chat → "Keep a local log"
// turns it off, "Clear local logs" deletes the files.

// prefLocalLog is the preference for keeping local logs (default on).
const prefLocalLog = "locallog"

// localKeep is how many messages a local log keeps.
const localKeep = 200

// localFile is what a local log file holds.
type localFile struct {
	Addr  string     `json:"addr"`
	Room  string     `json:"room"`
	Epoch string     `json:"epoch"`
	Msgs  []wire.Msg `json:"msgs"`
}

// localDir is the folder of the local logs.
func (u *UI) localDir() string { return filepath.Join(u.dataDir(), "chatlogs") }

// localPath is the file of the chat at addr.
func (u *UI) localPath(addr string) string {
	sum := sha256.Sum256([]byte(addr))
	return filepath.Join(u.localDir(), hex.EncodeToString(sum[:8])+".json")
}

// keepLocal reports whether local logs are on.
func (u *UI) keepLocal() bool {
	return u.app.Preferences().BoolWithFallback(prefLocalLog, true)
}

// saveLocal writes the newest messages of session s to its local log.
// A log cut from the present (see scrollback.go) is not the recent
// conversation and is not saved.
func (u *UI) saveLocal(s *session) {
	if !u.keepLocal() || s.plain || s.welcome.Epoch == "" || u.msgs.cut {
		return
	}
	l := u.msgs.log
	var msgs []wire.Msg
	for i := l.Len() - 1; i >= 0 && len(msgs) < localKeep; i-- {
		e := l.At(i)
		if e.Seq < s.local.from {
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
	if err := writeLocal(u.localPath(s.addr), localFile{Addr: s.addr, Room: s.welcome.Room, Epoch: s.welcome.Epoch, Msgs: msgs}); err != nil {
		u.log.Warn("local log not saved", "addr", s.addr, "err", err)
	}
}

// writeLocal writes f to path through a temporary file, so that a crash
// leaves the old log or the new one, never half of one.
func writeLocal(path string, f localFile) error {
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

// readLocal reads the local log of addr; a missing one is not an error.
func readLocal(path, addr string) (localFile, error) {
	var f localFile
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("local log: %w", err)
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return localFile{}, fmt.Errorf("local log %s: %w", path, err)
	}
	if f.Addr != addr {
		return localFile{}, nil // a hash collision, or a file from elsewhere
	}
	return f, nil
}

// shownLocal is what showLocal showed: the welcome's backlog skips the
// messages of the same epoch up to last, and the chat's local log is
// saved from Seq from on.
type shownLocal struct {
	epoch string
	last  uint64
	from  uint64
}

// showLocal shows the local log of addr before connecting, when the
// window is in no chat (else the log belongs to that one).
func (u *UI) showLocal(addr string) (shown shownLocal) {
	shown.from = u.msgs.log.FirstSeq() + uint64(u.msgs.log.Len())
	if !u.keepLocal() || u.sess != nil {
		return shown
	}
	f, err := readLocal(u.localPath(addr), addr)
	if err != nil {
		u.log.Warn("local log not read", "addr", addr, "err", err)
		return shown
	}
	if len(f.Msgs) == 0 {
		return shown
	}
	if u.msgs.cut {
		u.msgs.empty()
		u.msgs.setCut(false)
		shown.from = u.msgs.log.FirstSeq()
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

// toggleLocal is the "Keep a local log" menu item.
func (u *UI) toggleLocal() {
	on := !u.keepLocal()
	u.app.Preferences().SetBool(prefLocalLog, on)
	u.menuLocal.Checked = on
	u.refreshMenu()
}

// clearLocal is the "Clear local logs" menu item.
func (u *UI) clearLocal() {
	u.confirm("Clear local logs", "Delete the local logs of every chat? The servers keep their own history.",
		"Delete", "Cancel", true, func() {
			if err := os.RemoveAll(u.localDir()); err != nil {
				u.inform("Clear local logs", "The local logs could not be deleted: "+err.Error()+".", nil)
				return
			}
			u.system(chatlog.KindInfo, "The local logs were deleted.")
			u.msgs.flush()
		})
}

// localMenu returns the menu items of the local log.
func (u *UI) localMenu() []*fyne.MenuItem {
	u.menuLocal = fyne.NewMenuItem("Keep a local log", u.toggleLocal)
	u.menuLocal.Checked = u.keepLocal()
	return []*fyne.MenuItem{u.menuLocal, fyne.NewMenuItem("Clear local logs…", u.clearLocal)}
}
