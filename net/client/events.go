package client

import (
	"time"

	"parley/net/wire"
)

// Event is something that happened on a Client's connection. The concrete
// types are this package's structs Connected, Disconnected, Message,
// Joined, Left, Renamed, StatusChanged, Failed, Notice, Page and Results;
// a type switch over them is the intended use. The set is sealed: only
// this package implements Event.
type Event interface {
	event()
}

// Connected reports a connection that is ready: in rich mode the server's
// welcome was received, in plain mode the WebSocket is open.
//
// In rich mode the backlog does not travel inside this event: the
// messages of Welcome.History, minus any already seen, follow it as
// Message events with Backlog set, Backlog of them, oldest first.
// Welcome.History is therefore always nil here.
type Connected struct {
	// Welcome is the server's welcome (zero in plain mode).
	Welcome wire.Welcome
	// Plain is true when the server did not accept the rich protocol: no
	// presence, no nicknames, no history, no message ids.
	Plain bool
	// Resumed is true when the server sent exactly the messages missed
	// since the last connection (same server instance, same session).
	Resumed bool
	// Reset is true on a reconnect to a different server instance (a
	// restart): messages sent between the drop and the restart may be
	// missing, and the user list starts over.
	Reset bool
	// Gap is true when the server no longer had all the missed messages.
	Gap bool
	// Backlog is the number of Message events with Backlog set that
	// immediately follow.
	Backlog int
	// Greeting is a plain server's greeting ("Welcome to chat! Type a
	// message"), if it sent one first.
	Greeting string
	// Renamed is true when the wanted nickname was taken on reconnect and
	// the client joined under Welcome.Nick instead.
	Renamed bool
}

// Disconnected reports a connection that ended, or a reconnect attempt
// that failed. It repeats, once per failed attempt, while the client keeps
// trying.
type Disconnected struct {
	// Err says why: it wraps ErrConnLost, ErrServerGone, ErrEnded,
	// ErrReplaced, or a dial error (ErrRefused, ErrTimeout, ...).
	Err error
	// Retry is how long until the next attempt; zero means the client has
	// stopped for good (the host ended the chat, or the session was opened
	// elsewhere) and only a new Dial connects again.
	Retry time.Duration
	// Bye is the server's goodbye, if it sent one.
	Bye *wire.Bye
}

// Message is a chat message.
type Message struct {
	Msg wire.Msg
	// Own is true for a message this user sent. When Msg.CID names an
	// item of Pending, this message is its delivery: the item is gone
	// from the outbox. A delivery the server confirmed with error
	// duplicate (it had broadcast the message before the echo was lost,
	// and no longer holds it) carries the item's own text and no time.
	Own bool
	// Raw is true for a plain-mode line: Msg.Text is the line as the
	// server sent it, and the sender, id and time are unknown (Msg.Time
	// is the local arrival time).
	Raw bool
	// Backlog is true for history sent with a welcome, false for a
	// message as it happens.
	Backlog bool
}

// Joined reports a user who entered the room.
type Joined struct {
	wire.Join
}

// Left reports a user who left the room.
type Left struct {
	wire.Leave
}

// Renamed reports a nickname change. Self is true when it is this
// client's own.
type Renamed struct {
	wire.Rename
	Self bool
}

// StatusChanged reports a user's new presence.
type StatusChanged struct {
	wire.Status
}

// Failed reports a request the server refused. CID names the outbox item
// that was dropped (it is no longer pending); Ref names a History or
// Search request; both empty mean a nickname or status request. Err wraps
// a *ServerError.
type Failed struct {
	CID string
	Ref string
	Err error
}

// Notice is a line of information from the server itself.
type Notice struct {
	Text string
}

func (Connected) event()     {}
func (Disconnected) event()  {}
func (Message) event()       {}
func (Joined) event()        {}
func (Left) event()          {}
func (Renamed) event()       {}
func (StatusChanged) event() {}
func (Failed) event()        {}
func (Notice) event()        {}
