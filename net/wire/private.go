package wire

// Private messages: one person to another, never to the room. A client
// sends Private with To and Text; the server delivers Private, with Time
// and From stamped, to the addressee and echoes it to the sender, and to
// nobody else. A server that has them lists CapPrivate in Welcome.Caps.

// TypePrivate names a private message, both ways.
const TypePrivate Type = "private"

// CapPrivate: the server delivers Private frames and /msg.
const CapPrivate = "private"

// Private is a private message. From a client, only To, Text and CID
// count; the server stamps Time and From, so nobody can write as someone
// else.
type Private struct {
	Time int64  `json:"ts,omitempty"`
	From string `json:"from,omitempty"`
	// To is the addressee's nickname: exactly as the room shows it, case
	// aside. A look-alike of someone's nickname reaches nobody.
	To   string `json:"to"`
	Text string `json:"text"`
	// CID, as in Send, lets the sender match the echo to its request.
	CID string `json:"cid,omitempty"`
}

// FrameType implements Frame.
func (Private) FrameType() Type { return TypePrivate }

// PlainPrivate formats a private message for a plain-text client. It is a
// server line ("* "), which no public message can start with, so a
// private line can never be mistaken for one said to the room, nor forged
// by someone in it:
//
//   - [private] alice: text     (received from alice)
//   - [private] to bob: text    (the echo of one sent to bob)
func PlainPrivate(from, to, text string, echo bool) string {
	if echo {
		return PlainNotice("[private] to " + PlainLine(to, text))
	}
	return PlainNotice("[private] " + PlainLine(from, text))
}
