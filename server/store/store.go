// Package store keeps a Parley room's memory: its messages, the identity
// of the server (epoch and the last message id), and which client message
// ids each session sent recently, so that a server restarted on the same
// data folder carries on where it stopped.
//
// Two implementations share one shape: Memory, the room's history in a
// bounded ring (a server with history turned off), and DB, an SQLite
// database in WAL mode (modernc.org/sqlite, pure Go). The server declares
// the small interface it uses; another engine can sit behind it.
package store

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"unicode"

	"parley/net/wire"
)

// Errors a store's methods wrap, for errors.Is.
var (
	// ErrCorrupt: the database file is damaged or is not a database.
	ErrCorrupt = errors.New("store: database is damaged")
	// ErrFutureSchema: the database was written by a newer Parley, whose
	// schema this one does not know.
	ErrFutureSchema = errors.New("store: database is from a newer version")
	// ErrReadOnly: the store was opened read-only (its folder or file
	// cannot be written), so nothing can be appended.
	ErrReadOnly = errors.New("store: read-only")
	// ErrFull: the disk (or the database's size limit) is full.
	ErrFull = errors.New("store: disk full")
	// ErrInUse: another server holds the data folder.
	ErrInUse = errors.New("store: data folder in use")
	// ErrSync: the disk did not confirm a write. What was written since
	// the last good sync may or may not be there; the store writes
	// nothing more until it is opened again.
	ErrSync = errors.New("store: the disk did not confirm a write")
)

// Entry is one message to append, with the session that sent it.
type Entry struct {
	Msg wire.Msg
	// Session is the sender's session key (SessionKey of its token), or
	// "" for a client without one (plain mode). With Msg.CID it lets a
	// restarted server recognise a message sent again.
	Session string
}

// Sent is a client message id a session used, and the message it became.
type Sent struct {
	Session string
	CID     string
	ID      uint64
}

// State is what a server needs to start where the last one stopped.
type State struct {
	// Epoch identifies the room's history: ids compare within one epoch.
	Epoch string
	// LastID is the id of the newest message ever stored (0: none), even
	// if retention has since deleted it.
	LastID uint64
	// Recent holds the newest messages, oldest first.
	Recent []wire.Msg
	// Sent lists the cids sessions used recently, oldest first.
	Sent []Sent
}

// SessionKey returns the key a session's token is stored under: a hash,
// so that whoever reads the database cannot present the token itself.
func SessionKey(token string) string {
	if token == "" {
		return ""
	}
	h := sha256.Sum256([]byte("parley session\x00" + token))
	return hex.EncodeToString(h[:16])
}

// NewEpoch returns a random epoch.
func NewEpoch() string {
	var b [8]byte
	rand.Read(b[:]) // never fails: see crypto/rand.Read
	return hex.EncodeToString(b[:])
}

// MaxQuery bounds a search query, in bytes, and MaxTerms the words in
// one: a query is a handful of words, and each term costs an index walk.
const (
	MaxQuery = wire.MaxQuery
	MaxTerms = 8
)

// Terms splits a search query into its words (letters, digits, marks),
// lower-cased, at most MaxTerms of them. Every engine searches for
// messages that contain all the terms, each as a word prefix, so that
// "hel wor" finds "Hello, world".
func Terms(q string) []string {
	if len(q) > MaxQuery {
		q = q[:MaxQuery]
	}
	f := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
	if len(f) > MaxTerms {
		f = f[:MaxTerms]
	}
	return f
}
