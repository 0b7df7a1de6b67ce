package server

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// handle acts on one message a client sent. It runs on the peer's reader
// goroutine; whatever it answers is queued, never written.
//
// Every message counts against the rate limit before any work is done on
// it, whatever it turns out to be: a frame that fails to decode costs
// decoding, and must not be free to send.
func (s *Server) handle(p *peer, typ int, data []byte) {
	if !s.allow(p, data) {
		return
	}
	if typ == websocket.BinaryMessage {
		if !p.rich {
			p.end(endBinary)
			return
		}
		s.refuse(p, wire.Error{Code: wire.CodeUnsupported, Text: "binary frames are not supported"})
		return
	}
	if !utf8.Valid(data) {
		// Never relayed, never parsed: RFC 6455 requires 1007.
		p.end(endBadUTF8)
		return
	}
	if p.rich {
		s.handleRich(p, data)
		return
	}
	s.handlePlain(p, string(data))
}

// allow applies the rate limit to one incoming message. Over the rate the
// message is dropped with an error; a client that runs out of strikes as
// well is flooding and is closed.
func (s *Server) allow(p *peer, data []byte) bool {
	if s.cfg.Rate <= 0 {
		return true
	}
	now := time.Now()
	ok, wait := p.limit.take(s.sendRule, now)
	if ok {
		return true
	}
	s.limited.Add(1)
	if ok, _ := p.strikes.take(s.strikeRule, now); !ok {
		s.log.Info("closing a flooding client", "conn", p.id, "addr", p.raw.RemoteAddr())
		p.end(endFlood)
		return false
	}
	if p.rich {
		// The answer names the refused send's cid, so that the client
		// knows which of its messages to try again: worth decoding for,
		// as the strikes bound how many refused frames there are.
		var cid string
		if f, err := wire.DecodeClient(data); err == nil {
			switch f := f.(type) {
			case wire.Send:
				cid = f.CID
			case wire.Private:
				cid = f.CID
			}
			if len(cid) > wire.MaxClientID {
				cid = ""
			}
		}
		p.enqueue(mustJSONFrame(wire.Error{Code: wire.CodeRateLimited, CID: cid,
			Text: "too many messages: slow down", RetryMS: max(1, wait.Milliseconds())}))
	} else {
		p.enqueue(textFrame(wire.PlainNotice("too many messages: slow down")))
	}
	return false
}

// refuse answers a rich client's refused frame. Frames that make no sense
// at all count towards the limit of bad frames: each accepted frame takes
// one off the count, so that good frames in between do not hide a stream
// of bad ones.
func (s *Server) refuse(p *peer, e wire.Error) {
	switch e.Code {
	case wire.CodeBadRequest, wire.CodeUnsupported, wire.CodeNotJoined:
		p.bad++
		if p.bad >= maxBadFrames {
			p.end(endBadFrames)
			return
		}
	}
	p.enqueue(mustJSONFrame(e))
}

// accepted records a frame that made sense.
func (p *peer) accepted() {
	if p.bad > 0 {
		p.bad--
	}
}

// handleRich acts on one JSON frame from a rich client. It decodes only
// what a client may send: members only the server sends are skipped,
// unread, however large.
func (s *Server) handleRich(p *peer, data []byte) {
	f, err := wire.DecodeClient(data)
	if err != nil {
		code := wire.CodeBadRequest
		if errors.Is(err, wire.ErrUnknownType) || errors.Is(err, wire.ErrServerFrame) {
			code = wire.CodeUnsupported
		}
		s.refuse(p, wire.Error{Code: code, Text: err.Error()})
		return
	}
	s.mu.Lock()
	joined := p.joined
	s.mu.Unlock()
	if p.gated() {
		s.gateRich(p, f)
		return
	}
	if h, ok := f.(wire.Hello); ok {
		if joined {
			s.refuse(p, wire.Error{Code: wire.CodeAlreadyJoined, Text: "already joined"})
			return
		}
		s.hello(p, h, nil)
		return
	}
	if !joined {
		s.refuse(p, wire.Error{Code: wire.CodeNotJoined, Text: "send a hello first"})
		return
	}
	switch f := f.(type) {
	case wire.Send:
		p.accepted()
		if len(f.CID) > wire.MaxClientID {
			s.refuse(p, wire.Error{Code: wire.CodeBadCID,
				Text: fmt.Sprintf("cid is longer than %d bytes", wire.MaxClientID)})
			return
		}
		text, err := wire.CheckText(f.Text, s.cfg.MaxText)
		if err != nil {
			code := wire.CodeTooLong
			if errors.Is(err, wire.ErrTextEmpty) {
				code = wire.CodeEmpty
			}
			s.refuse(p, wire.Error{Code: code, Text: err.Error(), CID: f.CID})
			return
		}
		if s.refuseMuted(p, f.CID) {
			return
		}
		s.post(p, text, f.CID)
	case wire.Nick:
		p.accepted()
		if e := s.rename(p, f.Nick); e != nil {
			s.refuse(p, *e)
		}
	case wire.Status:
		p.accepted()
		if f.Status != wire.Active && f.Status != wire.Away {
			s.refuse(p, wire.Error{Code: wire.CodeBadStatus, Text: "status must be active or away"})
			return
		}
		s.setStatus(p, f.Status)
	case wire.History:
		p.accepted()
		s.history(p, f)
	case wire.Search:
		p.accepted()
		s.search(p, f)
	case wire.Private, wire.Claim, wire.Mod, wire.Topic:
		p.accepted()
		if e := s.handleSocial(p, f); e != nil {
			s.refuse(p, *e)
		}
	default:
		s.refuse(p, wire.Error{Code: wire.CodeUnsupported,
			Text: "a client may not send " + string(f.FrameType()) + " frames"})
	}
}

// hello joins a rich client, or tells it why not; it may try again.
// first, if any, goes just before the welcome (auth_ok).
func (s *Server) hello(p *peer, h wire.Hello, first []byte) {
	r := s.join(p, h)
	if r.err != nil {
		if first != nil {
			p.enqueue(first) // the password passed; the hello did not
		}
		s.refuse(p, *r.err)
		return
	}
	p.accepted()
	if r.ban != nil {
		s.log.Info("banned client refused", "conn", p.id, "addr", p.raw.RemoteAddr(), "nick", h.Nick)
		p.end(*r.ban)
		return
	}
	if r.old != nil {
		s.log.Debug("session taken over", "conn", r.old.id, "by", p.id, "nick", r.welcome.Nick)
		r.old.end(endReplaced)
	}
	s.log.Debug("joined", "conn", p.id, "addr", p.raw.RemoteAddr(), "nick", r.welcome.Nick,
		"resumed", r.welcome.Resumed, "gap", r.welcome.Gap, "agent", h.Agent)
	sortUsers(r.welcome.Users)
	p.releaseWelcome(append(first, mustJSONFrame(*r.welcome)...))
}

// plainHelp is the answer to /help.
var plainHelp = strings.Join([]string{
	"Everything you type is sent to everyone here as \"yourname: text\".",
	"/nick NAME   change your nickname",
	"/who         list who is here",
	"/search WORDS find messages with these words",
	"/msg NICK text  send text to NICK alone",
	"/topic [text]   show the topic (or set it: host and moderators)",
	"/host KEY       become the host, with the host's key",
	"Host and moderators: /kick NICK [reason], /ban NICK|ADDRESS TIME [reason],",
	"  /mute NICK|ADDRESS TIME [reason], /unban, /unmute, /op NICK, /deop NICK",
	"/help        this help",
	"//text       send a message that starts with /",
}, "\n")

// handlePlain acts on one line from a plain client.
func (s *Server) handlePlain(p *peer, text string) {
	if p.gated() {
		s.gatePlain(p, text)
		return
	}
	if strings.HasPrefix(text, "/") && !strings.HasPrefix(text, "//") {
		s.command(p, text)
		return
	}
	if strings.HasPrefix(text, "//") {
		text = text[1:]
	}
	clean, err := wire.CheckText(text, s.cfg.MaxText)
	switch {
	case errors.Is(err, wire.ErrTextEmpty):
		return // the original chat would echo an empty line; nobody needs it
	case err != nil:
		p.enqueue(textFrame(wire.PlainNotice("not sent: " + err.Error())))
		return
	}
	if s.refuseMuted(p, "") {
		return
	}
	s.post(p, clean, "")
}

// command runs a plain client's slash command.
func (s *Server) command(p *peer, line string) {
	name, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
	arg = strings.TrimSpace(arg)
	notice := func(text string) { p.enqueue(textFrame(wire.PlainNotice(text))) }
	switch strings.ToLower(name) {
	case "/nick":
		if arg == "" {
			notice("usage: /nick NAME")
			return
		}
		if e := s.rename(p, arg); e != nil {
			notice("nickname not changed: " + e.Text)
		}
	case "/who":
		users := s.who()
		names := make([]string, len(users))
		for i, u := range users {
			names[i] = u.Nick
			if u.Status == wire.Away {
				names[i] += " (away)"
			}
		}
		notice(strconv.Itoa(len(users)) + " here: " + strings.Join(names, ", "))
	case "/help":
		notice(plainHelp)
	case "/search":
		s.plainSearch(p, arg)
	case "/pass":
		notice("you are in already: this chat needs no password, or you gave it")
	default:
		if s.plainSocial(p, strings.ToLower(name), arg) {
			return
		}
		cmd := wire.CleanText(name)
		if utf8.RuneCountInString(cmd) > 20 {
			cmd = string([]rune(cmd)[:20]) + "…"
		}
		notice("unknown command " + cmd + "; type /help for the commands, or start with // to send a line that begins with /")
	}
}
