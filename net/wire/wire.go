// Package wire defines Parley's chat protocol: the frames exchanged in rich
// mode (subprotocol "parley.v1", one JSON object per WebSocket text frame),
// the plain-text compatibility mode's greeting and line format, and the
// validation rules for nicknames and message text that both the server and
// the client apply.
//
// The package uses only the standard library so that the server, the
// client, the load generator and the fuzzers can all share it.
package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Subprotocol is the WebSocket subprotocol that selects rich mode. A client
// that offers no subprotocol gets plain-text mode.
const Subprotocol = "parley.v1"

// DefaultPort is Parley's port: where the server listens and the host
// dialog offers to host unless told otherwise, and the port an address
// that names none means. It is the teaching chat server's port, which
// Parley grew from.
const DefaultPort = 2000

// Version is the protocol version carried in hello and welcome frames. A
// later, incompatible protocol gets a new subprotocol name (parley.v2) so
// that both can be offered during the handshake.
const Version = 1

// Greeting is the text frame a plain-mode client receives on connect. It is
// the original teaching chat's greeting, kept byte for byte.
const Greeting = "Welcome to chat! Type a message"

// Defaults for the limits a server advertises in its welcome.
const (
	// DefaultMaxFrame is the largest WebSocket message, in bytes, a server
	// reads from a client before closing the connection with 1009.
	DefaultMaxFrame = 64 << 10
	// DefaultMaxText is the largest chat text, in bytes of UTF-8 after
	// cleaning. It leaves room in DefaultMaxFrame for JSON escaping.
	DefaultMaxText = 16 << 10
	// MaxNick is the longest nickname, in characters.
	MaxNick = 32
	// MaxClientID is the longest client message id, in bytes.
	MaxClientID = 64
)

// Type names a frame's kind; it is the "type" member of every frame.
type Type string

// Frame types. Hello, Send, Nick and Status (with a status) travel from
// client to server; the rest from server to client. Status travels both
// ways: a client sets its own, the server announces everyone's.
const (
	TypeHello   Type = "hello"
	TypeSend    Type = "send"
	TypeNick    Type = "nick"
	TypeStatus  Type = "status"
	TypeWelcome Type = "welcome"
	TypeMsg     Type = "msg"
	TypeJoin    Type = "join"
	TypeLeave   Type = "leave"
	TypeRename  Type = "rename"
	TypeError   Type = "error"
	TypeNotice  Type = "notice"
	TypeBye     Type = "bye"
)

// Frame is any frame of the protocol. Each concrete type is a struct in
// this package; Decode returns one of them, Encode takes one of them.
type Frame interface {
	// FrameType reports the frame's type, as written in its "type" member.
	FrameType() Type
}

// Presence is a user's availability.
type Presence string

// Presence values. Unknown values received from a newer peer should be
// shown as they are, not rejected.
const (
	Active Presence = "active"
	Away   Presence = "away"
)

// User is one member of the room as listed in a welcome.
type User struct {
	Nick   string   `json:"nick"`
	Status Presence `json:"status,omitempty"`
	// Plain is true for a plain-text client (a browser console, websocat):
	// it cannot set a status and sees messages as "nick: text" lines.
	Plain bool `json:"plain,omitempty"`
	// Role is the user's role (RoleHost, RoleMod), empty for a member.
	Role Role `json:"role,omitempty"`
}

// Hello is the first frame a rich client sends. A server answers with a
// Welcome, or with an Error and waits for another Hello.
type Hello struct {
	// V is the protocol version the client speaks (Version).
	V int `json:"v"`
	// Nick is the wanted nickname.
	Nick string `json:"nick"`
	// Session is the token from an earlier Welcome. It lets a reconnecting
	// client take over its own nickname while the server still holds the
	// dropped connection.
	Session string `json:"session,omitempty"`
	// Epoch and After, when resuming, name the server instance and the id
	// of the last message the client has seen. The server then sends only
	// the messages after it.
	Epoch string  `json:"epoch,omitempty"`
	After *uint64 `json:"after,omitempty"`
	// Agent names the client software, for logs ("parley/1.0.0").
	Agent string `json:"agent,omitempty"`
}

// Send asks the server to broadcast a chat message.
type Send struct {
	// CID is the client's own id for the message. The server repeats it in
	// the broadcast so the sender can match its echo, and ignores a second
	// Send with a CID it has already broadcast for this session.
	CID  string `json:"cid,omitempty"`
	Text string `json:"text"`
}

// Nick asks the server to change the sender's nickname.
type Nick struct {
	Nick string `json:"nick"`
}

// Status sets the sender's presence (client to server: Nick is empty) or
// announces someone's presence (server to client).
type Status struct {
	Time   int64    `json:"ts,omitempty"`
	Nick   string   `json:"nick,omitempty"`
	Status Presence `json:"status"`
}

// Limits are the server's limits, advertised so that a client can refuse
// what the server would refuse before sending it.
type Limits struct {
	MaxText  int `json:"max_text"`
	MaxFrame int `json:"max_frame"`
	// Rate and Burst describe the per-connection message rate limit
	// (messages per second, bucket size). Zero means unlimited.
	Rate  float64 `json:"rate,omitempty"`
	Burst int     `json:"burst,omitempty"`
}

// Welcome answers a Hello: the client has joined.
type Welcome struct {
	V int `json:"v"`
	// Nick is the nickname the server assigned (the wanted one, checked).
	Nick string `json:"nick"`
	// Session is a secret token to present in a later Hello.
	Session string `json:"session"`
	// Epoch identifies this server instance. Message ids are comparable
	// only within one epoch: after a server restart they start again.
	Epoch string `json:"epoch"`
	// Room and Server describe the room and the server software.
	Room   string `json:"room,omitempty"`
	Server string `json:"server,omitempty"`
	// Users lists everyone in the room, the new client included.
	Users []User `json:"users"`
	// History holds the backlog: the most recent messages, or on a resume
	// exactly those after Hello.After, oldest first.
	History []Msg `json:"history"`
	// LastID is the id of the newest message the server has broadcast
	// (zero when none), whether or not it is in History.
	LastID uint64 `json:"last_id"`
	// Resumed is true when the server honoured Hello.After.
	Resumed bool `json:"resumed,omitempty"`
	// Gap is true when a resume asked for messages older than the backlog
	// holds: some messages between Hello.After and History[0] are gone.
	Gap    bool   `json:"gap,omitempty"`
	Limits Limits `json:"limits"`
	// Caps lists what this server does beyond the frames every server
	// handles (CapHistory, CapSearch, …); a client ignores names it does
	// not know.
	Caps []string `json:"caps,omitempty"`
	// Topic is the room's topic, if one is set (moderation.go).
	Topic string `json:"topic,omitempty"`
}

// Msg is a chat message as broadcast by the server.
type Msg struct {
	// ID is assigned by the server, increasing by one per message within an
	// epoch.
	ID uint64 `json:"id"`
	// Time is the server's clock when it accepted the message, in Unix
	// milliseconds.
	Time int64 `json:"ts"`
	// From is the sender's nickname, stamped by the server.
	From string `json:"from"`
	Text string `json:"text"`
	// CID is the sender's own id for the message, if it gave one.
	CID string `json:"cid,omitempty"`
}

// Join announces a user who entered the room.
type Join struct {
	Time   int64    `json:"ts"`
	Nick   string   `json:"nick"`
	Status Presence `json:"status,omitempty"`
	Plain  bool     `json:"plain,omitempty"`
	Role   Role     `json:"role,omitempty"`
}

// Leave announces a user who left the room, with why.
type Leave struct {
	Time   int64  `json:"ts"`
	Nick   string `json:"nick"`
	Reason string `json:"reason,omitempty"`
}

// Rename announces a nickname change.
type Rename struct {
	Time int64  `json:"ts"`
	Nick string `json:"nick"`
	To   string `json:"to"`
}

// Error reports a refused request. The connection stays open unless a
// close frame follows.
type Error struct {
	Code Code   `json:"code"`
	Text string `json:"text"`
	// CID names the Send that was refused, if any.
	CID string `json:"cid,omitempty"`
	// RetryMS, for rate_limited, says when a retry may succeed.
	RetryMS int64 `json:"retry_ms,omitempty"`
	// ID, for duplicate, is the id the message was broadcast with.
	ID uint64 `json:"id,omitempty"`
	// Ref names the History or Search request that was refused, if any.
	Ref string `json:"ref,omitempty"`
}

// Notice is a line of text from the server itself.
type Notice struct {
	Text string `json:"text"`
}

// Bye precedes the close frame when the server ends a connection on
// purpose, so that a client can tell a host who ended the chat (stop
// reconnecting) from a server restart (reconnect).
type Bye struct {
	Reason ByeReason `json:"reason"`
	Text   string    `json:"text,omitempty"`
	// Until, for ByeBanned, is when the ban ends, in Unix milliseconds.
	Until int64 `json:"until,omitempty"`
}

// ByeReason is the machine-readable reason of a Bye.
type ByeReason string

// Bye reasons.
const (
	// ByeEnded: the host ended the chat. Clients should not reconnect on
	// their own.
	ByeEnded ByeReason = "ended"
	// ByeShutdown: the server is stopping or restarting. Clients should
	// reconnect with backoff.
	ByeShutdown ByeReason = "shutdown"
	// ByeReplaced: the same session connected again elsewhere. The old
	// connection must not reconnect, or the two would fight.
	ByeReplaced ByeReason = "replaced"
	// ByeSlow: the client did not read fast enough and was dropped.
	ByeSlow ByeReason = "slow"
	// ByePolicy: the client broke a rule (flooding, bad frames).
	ByePolicy ByeReason = "policy"
)

// FrameType implements Frame.
func (Hello) FrameType() Type { return TypeHello }

// FrameType implements Frame.
func (Send) FrameType() Type { return TypeSend }

// FrameType implements Frame.
func (Nick) FrameType() Type { return TypeNick }

// FrameType implements Frame.
func (Status) FrameType() Type { return TypeStatus }

// FrameType implements Frame.
func (Welcome) FrameType() Type { return TypeWelcome }

// FrameType implements Frame.
func (Msg) FrameType() Type { return TypeMsg }

// FrameType implements Frame.
func (Join) FrameType() Type { return TypeJoin }

// FrameType implements Frame.
func (Leave) FrameType() Type { return TypeLeave }

// FrameType implements Frame.
func (Rename) FrameType() Type { return TypeRename }

// FrameType implements Frame.
func (Error) FrameType() Type { return TypeError }

// FrameType implements Frame.
func (Notice) FrameType() Type { return TypeNotice }

// FrameType implements Frame.
func (Bye) FrameType() Type { return TypeBye }

// Decoding errors. Decode wraps one of them, so errors.Is tells a frame
// that is not JSON from one of a type this version does not know.
var (
	// ErrMalformed: not a JSON object, a member of the wrong JSON type, or
	// no "type" member.
	ErrMalformed = errors.New("wire: malformed frame")
	// ErrUnknownType: a well-formed frame whose type this version does not
	// know. A client should ignore such frames from a newer server.
	ErrUnknownType = errors.New("wire: unknown frame type")
)

// Encode returns f as one JSON object with its "type" member first. HTML
// characters are not escaped, so text costs no more bytes than it must.
func Encode(f Frame) ([]byte, error) {
	var buf bytes.Buffer
	if err := EncodeTo(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// EncodeTo appends the encoding of f to buf, without a trailing newline.
func EncodeTo(buf *bytes.Buffer, f Frame) error {
	if f == nil {
		return fmt.Errorf("wire: encode nil frame: %w", ErrMalformed)
	}
	start := buf.Len()
	buf.WriteString(`{"type":`)
	typ, _ := json.Marshal(string(f.FrameType()))
	buf.Write(typ)
	mark := buf.Len()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(f); err != nil {
		buf.Truncate(start)
		return fmt.Errorf("wire: encode %s: %w", f.FrameType(), err)
	}
	// enc wrote {...}\n after the type: turn its brace into a comma, or
	// drop an empty object, and drop the newline.
	b := buf.Bytes()
	if len(b) < mark+3 || b[mark] != '{' {
		buf.Truncate(start)
		return fmt.Errorf("wire: encode %s: not an object: %w", f.FrameType(), ErrMalformed)
	}
	if len(b)-mark == len("{}\n") {
		buf.Truncate(mark)
		buf.WriteByte('}')
		return nil
	}
	b[mark] = ','
	buf.Truncate(len(b) - 1)
	return nil
}

// envelope is every member any frame may carry, so that Decode parses the
// JSON once and then picks the members of the frame's type: those a
// client may send (clientEnvelope) and those only a server sends.
type envelope struct {
	clientEnvelope
	Room    string   `json:"room"`
	Server  string   `json:"server"`
	Users   []User   `json:"users"`
	History []Msg    `json:"history"`
	LastID  uint64   `json:"last_id"`
	Resumed bool     `json:"resumed"`
	Gap     bool     `json:"gap"`
	Limits  Limits   `json:"limits"`
	ID      uint64   `json:"id"`
	Time    int64    `json:"ts"`
	From    string   `json:"from"`
	Plain   bool     `json:"plain"`
	Code    Code     `json:"code"`
	RetryMS int64    `json:"retry_ms"`
	Caps    []string `json:"caps"`
	Msgs    []Msg    `json:"msgs"`
	More    bool     `json:"more"`
	Role    Role     `json:"role"`
	By      string   `json:"by"`
	Until   int64    `json:"until"`
	Topic   string   `json:"topic"`
}

// Decode parses one frame. Members a frame's type does not use are
// ignored, so that a newer peer may add members. The error wraps
// ErrMalformed or ErrUnknownType.
func Decode(data []byte) (Frame, error) {
	e, f, err := parse[envelope](data)
	if f != nil || err != nil {
		return f, err
	}
	switch *e.Type {
	case TypeStatus:
		return Status{Time: e.Time, Nick: e.Nick, Status: e.Status}, nil
	case TypeWelcome:
		return Welcome{V: e.V, Nick: e.Nick, Session: e.Session, Epoch: e.Epoch, Room: e.Room,
			Server: e.Server, Users: e.Users, History: e.History, LastID: e.LastID,
			Resumed: e.Resumed, Gap: e.Gap, Limits: e.Limits, Caps: e.Caps, Topic: e.Topic}, nil
	case TypeMsg:
		return Msg{ID: e.ID, Time: e.Time, From: e.From, Text: e.Text, CID: e.CID}, nil
	case TypeJoin:
		return Join{Time: e.Time, Nick: e.Nick, Status: e.Status, Plain: e.Plain, Role: e.Role}, nil
	case TypeLeave:
		return Leave{Time: e.Time, Nick: e.Nick, Reason: e.Reason}, nil
	case TypeRename:
		return Rename{Time: e.Time, Nick: e.Nick, To: e.To}, nil
	case TypeError:
		return Error{Code: e.Code, Text: e.Text, CID: e.CID, RetryMS: e.RetryMS, ID: e.ID, Ref: e.Ref}, nil
	case TypeNotice:
		return Notice{Text: e.Text}, nil
	case TypeBye:
		return Bye{Reason: ByeReason(e.Reason), Text: e.Text, Until: e.Until}, nil
	case TypePage:
		return Page{Ref: e.Ref, Msgs: e.Msgs, More: e.More}, nil
	case TypeResults:
		return Results{Ref: e.Ref, Q: e.Q, Msgs: e.Msgs, More: e.More}, nil
	}
	if f, ok, err := decodeAuth(*e.Type, data, false); ok {
		return f, err
	}
	if f, ok := e.moderationFrame(); ok {
		return f, nil
	}
	return nil, unknownType(*e.Type)
}

// unmarshal parses a frame into env, one of the envelopes, and checks
// that it has a type member (typ points at env's).
func unmarshal(data []byte, env any, typ **Type) error {
	if err := json.Unmarshal(data, env); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if typ != nil && *typ == nil {
		return fmt.Errorf("%w: no type member", ErrMalformed)
	}
	return nil
}

// unknownType is the error for a frame of type t, which this version does
// not know; the type is cut short, since a peer chose it.
func unknownType(t Type) error {
	return fmt.Errorf("%w: %q", ErrUnknownType, truncate(string(t), 32))
}

// serverOnly is the error for a client's frame of type t, which only a
// server sends.
func serverOnly(t Type) error {
	return fmt.Errorf("%w: a client may not send %s frames", ErrServerFrame, t)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
