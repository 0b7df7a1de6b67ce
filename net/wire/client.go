package wire

import (
	"errors"
)

// ErrServerFrame: a well-formed frame of a type only a server sends
// (welcome, msg, …), which a server refuses from a client.
var ErrServerFrame = errors.New("wire: a frame only a server sends")

// clientEnvelope is every member a client's frame may carry. Decoding into
// it skips every other member unread, whatever its size: a client that
// sends a welcome's history costs the scan of its bytes, not the building
// of its messages.
type clientEnvelope struct {
	Type    *Type    `json:"type"`
	V       int      `json:"v"`
	Nick    string   `json:"nick"`
	Session string   `json:"session"`
	Epoch   string   `json:"epoch"`
	After   *uint64  `json:"after"`
	Agent   string   `json:"agent"`
	CID     string   `json:"cid"`
	Text    string   `json:"text"`
	Status  Presence `json:"status"`
	Ref     string   `json:"ref"`
	Q       string   `json:"q"`
	Before  uint64   `json:"before"`
	Limit   int      `json:"limit"`
	To      string   `json:"to"`
	Reason  string   `json:"reason"`
	Key     string   `json:"key"`
	Action  Action   `json:"action"`
	Addr    string   `json:"addr"`
	Secs    int64    `json:"secs"`
}

// DecodeClient parses one frame a client sent, as a server does: only the
// frames a client may send (hello, send, nick, status, history, search,
// auth) and only their members. For those frames it returns what Decode
// returns. The error wraps ErrMalformed, ErrUnknownType or, for a frame
// only a server sends, ErrServerFrame.
func DecodeClient(data []byte) (Frame, error) {
	e, f, err := parse[clientEnvelope](data)
	if f != nil || err != nil {
		return f, err
	}
	switch *e.Type {
	case TypeStatus:
		// A client sets only its own status: what a server adds is not read.
		return Status{Status: e.Status}, nil
	case TypePrivate:
		return Private{To: e.To, Text: e.Text, CID: e.CID}, nil
	case TypeTopic:
		return Topic{Text: e.Text}, nil
	case TypeWelcome, TypeMsg, TypeJoin, TypeLeave, TypeRename, TypeError, TypeNotice, TypeBye, TypePage, TypeResults,
		TypeModeration, TypeRole:
		return nil, serverOnly(*e.Type)
	}
	if f, ok, err := decodeAuth(*e.Type, data, true); ok {
		return f, err
	}
	return nil, unknownType(*e.Type)
}

// common returns the members every envelope has: parse reads through it.
func (e *clientEnvelope) common() *clientEnvelope { return e }

// parse is the part Decode and DecodeClient share: it parses data into an
// envelope E (envelope or clientEnvelope, by how many members the caller
// reads) and, when the frame is of a type only clients send, returns that
// frame. Otherwise f and err are nil, and the caller goes on with e.
func parse[E any, P interface {
	*E
	common() *clientEnvelope
}](data []byte) (e P, f Frame, err error) {
	e = new(E)
	c := e.common()
	if err := unmarshal(data, e, &c.Type); err != nil {
		return nil, nil, err
	}
	if f, ok := c.clientFrame(); ok {
		return e, f, nil
	}
	return e, nil, nil
}

// clientFrame returns the frame of a type only clients send, from the
// members both Decode and DecodeClient read; ok is false for any other
// type. Status is left to each: a server's status frame has members a
// client's has not.
func (e *clientEnvelope) clientFrame() (f Frame, ok bool) {
	switch *e.Type {
	case TypeHello:
		return Hello{V: e.V, Nick: e.Nick, Session: e.Session, Epoch: e.Epoch, After: e.After, Agent: e.Agent}, true
	case TypeSend:
		return Send{CID: e.CID, Text: e.Text}, true
	case TypeNick:
		return Nick{Nick: e.Nick}, true
	case TypeHistory:
		return History{Ref: e.Ref, Before: e.Before, Limit: e.Limit}, true
	case TypeSearch:
		return Search{Ref: e.Ref, Q: e.Q, Before: e.Before, Limit: e.Limit}, true
	case TypeClaim:
		return Claim{Key: e.Key}, true
	case TypeMod:
		return Mod{Ref: e.Ref, Action: e.Action, Nick: e.Nick, Addr: e.Addr, Secs: e.Secs, Reason: e.Reason}, true
	}
	return nil, false
}
