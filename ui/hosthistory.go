package ui

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"parley/server/store"
	"parley/ui/chatlog"
)

// A chat hosted from the window keeps its history on disk, as the
// headless server does (parley -server -data DIR): the same store
// (server/store, SQLite in WAL mode) in one folder, HostHistoryDir, under
// the window's data folder. One folder for whatever the window hosts, not
// one per room or port: the window hosts one chat at a time, and renaming
// the room or changing the port should not lose what was said.
//
// The Host dialog's "Don't keep history" switch (remembered, like the
// other host fields) hosts with the history in memory only, as before:
// nothing is written to disk, and the earlier history is left alone.
//
// A history that cannot be opened (another Parley holds the folder, the
// database is damaged or from a newer version, the folder cannot be
// written) is never deleted or replaced: the window says why and offers
// to host without history this time, or not to host at all.

// HostHistoryDir is the folder, under the window's data folder, that
// holds the hosted chat's history.
const HostHistoryDir = "history"

// prefHostNoHistory is the Host dialog's "Don't keep history" switch.
const prefHostNoHistory = "host.nohistory"

// historyDir is the hosted chat's history folder.
func (u *UI) historyDir() string { return filepath.Join(u.dataDir(), HostHistoryDir) }

// openHostHistory opens the hosted chat's history for writing. A folder
// that can be read but not written is refused too: a hosted chat that
// refused every message would be no use.
func (u *UI) openHostHistory() (*store.DB, error) {
	db, err := store.Open(u.historyDir(), store.Options{Logger: u.logger.With("part", "history")})
	if err != nil {
		return nil, err
	}
	if db.ReadOnly() {
		db.Close()
		return nil, fmt.Errorf("%w: %s", store.ErrReadOnly, u.historyDir())
	}
	return db, nil
}

// explainHistory says in words why the history could not be opened and
// what the user can do about it.
func (u *UI) explainHistory(err error) string {
	dir := u.historyDir()
	switch {
	case errors.Is(err, store.ErrInUse):
		return fmt.Sprintf("Another Parley is using the chat's history in %s: another window hosting, or parley -server on that folder. Stop it first to keep this chat's history.", dir)
	case errors.Is(err, store.ErrCorrupt):
		return fmt.Sprintf("The chat's history in %s is damaged. Parley leaves it as it is: move the folder away to start a new history, or restore a backup into it (parley -server -data FOLDER -restore FILE).", dir)
	case errors.Is(err, store.ErrFutureSchema):
		return fmt.Sprintf("The chat's history in %s was written by a newer version of Parley. Parley leaves it as it is: host with that version, or move the folder away.", dir)
	case errors.Is(err, store.ErrReadOnly), errors.Is(err, fs.ErrPermission):
		return fmt.Sprintf("The chat's history folder %s cannot be written.", dir)
	}
	return fmt.Sprintf("The chat's history in %s could not be opened: %s.", dir, errText(err))
}

// historyTrouble tells the user that the history could not be opened and
// asks whether to host without it this time; the switch in the Host
// dialog is left as it was.
func (u *UI) historyTrouble(hs hostSettings, interactive bool, err error) {
	text := u.explainHistory(err)
	u.logger.Warn("cannot open the hosted chat's history", "dir", u.historyDir(), "err", err)
	u.system(chatlog.KindError, text)
	u.msgs.flush()
	u.confirm("The chat's history cannot be kept",
		text+"\n\nHost without keeping history? Messages will then be kept in memory only, and lost when the chat ends.",
		"Host without history", "Don't host", false, func() {
			if u.closed {
				return
			}
			hs.NoHistory = true
			hs.troubled = true
			u.host(hs, interactive)
		})
}

// noteHostHistory says in the chat where its history is kept, or that it
// is not.
func (u *UI) noteHostHistory(hs hostSettings, db *store.DB) {
	switch {
	case db != nil:
		u.logger.Info("hosted chat's history", "db", db.Path())
	case hs.troubled:
		u.system(chatlog.KindWarn, "This chat keeps no history: what is said is lost when it ends.")
	default:
		u.system(chatlog.KindInfo, "History is off for this chat (Host a chat ▸ Don't keep history): nothing is written to disk, and what is said is lost when it ends.")
	}
}

// stopHost shuts the hosted server down in the background (telling
// everyone takes a moment) and closes its history. Hosting again, or
// closing the window, waits for it: the history's folder stays locked
// until then.
func (u *UI) stopHost(h *hosting) {
	done := make(chan struct{})
	u.hostStopped = done
	go func() {
		defer close(done)
		h.stop()
	}()
}

// waitHostStopped waits, a few seconds at most, until the last hosted
// chat has stopped.
func (u *UI) waitHostStopped() {
	if u.hostStopped == nil {
		return
	}
	select {
	case <-u.hostStopped:
		u.hostStopped = nil
	case <-time.After(stopTimeout + time.Second):
		u.logger.Warn("the last hosted chat has not stopped yet")
	}
}
