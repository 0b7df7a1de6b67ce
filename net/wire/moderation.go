package wire

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Moderation: the host and the moderators the host names remove people
// for a while (kick, mute, ban by nickname or by address), name
// moderators and set the room's topic. A server that has it lists
// CapModeration in Welcome.Caps. docs/PROTOCOL.md, "Moderation", is the
// contract.

// CapModeration: the server answers Claim, Mod and Topic frames.
const CapModeration = "moderation"

// Frame types of moderation.
const (
	TypeClaim      Type = "claim"      // client: present the host key
	TypeMod        Type = "mod"        // client: a moderation request
	TypeModeration Type = "moderation" // server: a moderation that happened
	TypeTopic      Type = "topic"      // client sets the topic; server announces it
	TypeRole       Type = "role"       // server: someone's role changed
)

// Role is what a person may do in the room beyond talking.
type Role string

// Roles. The zero Role is an ordinary member.
const (
	// RoleHost holds the host key: it names moderators, and nobody can
	// act against it.
	RoleHost Role = "host"
	// RoleMod may kick, mute and ban ordinary members and set the topic.
	RoleMod Role = "mod"
)

// Action names a moderation.
type Action string

// Actions of Mod and Moderation.
const (
	ActKick   Action = "kick"   // close the connection now; no time
	ActMute   Action = "mute"   // refuse the person's messages for Secs
	ActUnmute Action = "unmute" // lift a mute
	ActBan    Action = "ban"    // close, and refuse reconnections for Secs
	ActUnban  Action = "unban"  // lift a ban
	ActOp     Action = "op"     // make a moderator (the host only)
	ActDeop   Action = "deop"   // take moderation back (the host only)
)

// Limits of moderation requests.
const (
	// MaxSanction is the longest mute or ban, in seconds (30 days).
	MaxSanction = 30 * 24 * 3600
	// MaxReason is the longest reason, in bytes.
	MaxReason = 256
	// MaxTopic is the longest topic, in bytes once cleaned.
	MaxTopic = 512
)

// Claim presents the host key: the server makes the sender the host, or
// refuses with CodeNotAllowed. The window's own client sends it after
// every welcome; a plain client types /host KEY.
type Claim struct {
	Key string `json:"key"`
}

// Mod asks for a moderation. Nick or Addr names whom: Addr (an IP address)
// only for mute, ban and their undoing. The server answers the sender with
// the Moderation carrying Ref, or an Error with Ref.
type Mod struct {
	Ref    string `json:"ref,omitempty"`
	Action Action `json:"action"`
	Nick   string `json:"nick,omitempty"`
	Addr   string `json:"addr,omitempty"`
	// Secs is how long a mute or ban lasts, 1 to MaxSanction.
	Secs   int64  `json:"secs,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Moderation announces a moderation to the room's rich clients. An
// address is named only to the moderator who asked (with Ref), never to
// the room.
type Moderation struct {
	Ref    string `json:"ref,omitempty"`
	Time   int64  `json:"ts"`
	Action Action `json:"action"`
	Nick   string `json:"nick,omitempty"`
	Addr   string `json:"addr,omitempty"`
	By     string `json:"by"`
	Reason string `json:"reason,omitempty"`
	// Until is when a mute or ban ends, in Unix milliseconds.
	Until int64 `json:"until,omitempty"`
}

// Topic sets the room's topic (client: Text only) or announces it
// (server: with Time and By). An empty Text clears it.
type Topic struct {
	Time int64  `json:"ts,omitempty"`
	By   string `json:"by,omitempty"`
	Text string `json:"text"`
}

// RoleChange announces that Nick's role is now Role (empty: an ordinary
// member again), given by By.
type RoleChange struct {
	Time int64  `json:"ts"`
	Nick string `json:"nick"`
	Role Role   `json:"role,omitempty"`
	By   string `json:"by,omitempty"`
}

// Error codes of moderation and private messages.
const (
	// CodeNotAllowed: the sender's role does not allow this (not a
	// moderator, acting against the host or another moderator, a wrong
	// host key).
	CodeNotAllowed Code = "not_allowed"
	// CodeNoSuchNick: nobody in the room has that nickname.
	CodeNoSuchNick Code = "no_such_nick"
	// CodeMuted: the sender is muted; Error.RetryMS says for how long.
	CodeMuted Code = "muted"
	// CodeBadMod: a Mod the server cannot act on: an unknown action, no
	// target, an address that is not one, a time out of range.
	CodeBadMod Code = "bad_mod"
)

// Bye and leave reasons of moderation.
const (
	// ByeKicked: a moderator removed the client. It may come back, but
	// should not reconnect by itself.
	ByeKicked ByeReason = "kicked"
	// ByeBanned: the client is banned until Bye.Until; reconnecting
	// before then is refused the same way.
	ByeBanned ByeReason = "banned"
)

// FrameType implements Frame.
func (Claim) FrameType() Type { return TypeClaim }

// FrameType implements Frame.
func (Mod) FrameType() Type { return TypeMod }

// FrameType implements Frame.
func (Moderation) FrameType() Type { return TypeModeration }

// FrameType implements Frame.
func (Topic) FrameType() Type { return TypeTopic }

// FrameType implements Frame.
func (RoleChange) FrameType() Type { return TypeRole }

// moderationFrame returns the server's frames of private messages and
// moderation (Decode); ok is false for any other type.
func (e *envelope) moderationFrame() (f Frame, ok bool) {
	switch *e.Type {
	case TypePrivate:
		return Private{Time: e.Time, From: e.From, To: e.To, Text: e.Text, CID: e.CID}, true
	case TypeTopic:
		return Topic{Time: e.Time, By: e.By, Text: e.Text}, true
	case TypeModeration:
		return Moderation{Ref: e.Ref, Time: e.Time, Action: e.Action, Nick: e.Nick, Addr: e.Addr,
			By: e.By, Reason: e.Reason, Until: e.Until}, true
	case TypeRole:
		return RoleChange{Time: e.Time, Nick: e.Nick, Role: e.Role, By: e.By}, true
	}
	return nil, false
}

// ParseSpan reads the time of a mute or ban as people type it: 90s, 10m,
// 1h30m (Go's durations) or 2d (days), at least a second.
func ParseSpan(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 100000 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("%q is not a time like 90s, 10m, 1h or 2d", truncate(s, 20))
	}
	return d, nil
}
