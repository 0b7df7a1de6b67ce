package server_test

// One test per case of docs/SECURITY.md's test table. Each asserts the
// offender's documented outcome, that the witnesses keep talking with low
// latency during and after the case, and that memory stays bounded (see
// harness_test.go).

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/internal/chattest"
	"parley/net/wire"
)

// expectClose fails the test unless p's connection ends with code.
func expectClose(t testing.TB, p *peer, code int) *websocket.CloseError {
	t.Helper()
	ce := p.closeError(t, wait)
	if ce.Code != code {
		t.Fatalf("%s: closed with %d %q, want %d", p.name, ce.Code, ce.Text, code)
	}
	return ce
}

// expectRawClose fails the test unless r gets a close frame with code and
// the server then closes the connection.
func expectRawClose(t testing.TB, r *rawConn, code int) rawEnd {
	t.Helper()
	e, err := r.end(wait)
	if err != nil {
		t.Fatalf("raw connection: %v", err)
	}
	if e.code != code {
		t.Fatalf("raw connection closed with %d %q, want %d", e.code, e.reason, code)
	}
	if !e.eof {
		t.Fatal("the server did not close the TCP connection after its close frame")
	}
	return e
}

// Oversized messages: close 1009, whether the frame says so up front, a
// gorilla client sends it, or fragments add up to it; nothing of it is
// relayed and nothing near its announced size is allocated.
func TestSecOversized(t *testing.T) {
	const maxFrame = 4096
	cfg := secConfig(t)
	cfg.MaxFrame = maxFrame
	sec := openCase(t, cfg)
	url, addr, w := sec.url, sec.addr, sec.w

	big := "OVERSIZE " + strings.Repeat("x", maxFrame)
	w.repeat(t, func(t *testing.T, round int) {
		t.Run("plain frame", func(t *testing.T) {
			p := dialPeer(t, nil, url, "", false)
			p.say(t, big)
			expectClose(t, p, websocket.CloseMessageTooBig)
		})
		t.Run("rich frame", func(t *testing.T) {
			p := dialPeer(t, nil, url, fmt.Sprint("bigmouth", round), true)
			p.send(t, wire.Send{CID: "1", Text: big})
			expectClose(t, p, websocket.CloseMessageTooBig)
		})
		t.Run("announced 1 TiB", func(t *testing.T) {
			r := mustRaw(t, addr, false)
			// A header that announces 2^40 bytes, and a few of them.
			h := []byte{bitFin | opText, bitMask | 127}
			h = binary.BigEndian.AppendUint64(h, 1<<40)
			h = append(h, 1, 2, 3, 4)
			r.write(append(h, "OVERSIZE"...))
			expectRawClose(t, r, websocket.CloseMessageTooBig)
		})
		t.Run("fragments", func(t *testing.T) {
			r := mustRaw(t, addr, false)
			chunk := []byte("OVERSIZE " + strings.Repeat("y", 1000))
			r.write(rawFrame(opText, true, chunk))
			for range 10 { // 11 KB in all; the server stops reading at 4 KB
				if r.write(rawFrame(opCont, true, chunk)) != nil {
					break
				}
			}
			expectRawClose(t, r, websocket.CloseMessageTooBig)
		})
	})

	sec.close(t, 2, "OVERSIZE")
}

// Invalid UTF-8 in a text frame: close 1007, never relayed, in either
// mode, joined or not, in one frame or split across fragments.
func TestSecInvalidUTF8(t *testing.T) {
	sec := openCase(t, secConfig(t))
	url, addr, w := sec.url, sec.addr, sec.w

	w.repeat(t, func(t *testing.T, round int) {
		for _, tc := range []struct {
			name string
			rich bool
			join bool
			data string
		}{
			{"plain", false, false, "BADUTF8 \xff\xfe"},
			{"plain overlong slash", false, false, "BADUTF8 \xc0\xaf"},
			{"plain surrogate", false, false, "BADUTF8 \xed\xa0\x80"},
			{"plain cut sequence", false, false, "BADUTF8 \xe2\x82"},
			{"rich joined", true, true, "{\"type\":\"send\",\"text\":\"BADUTF8 \xc3\x28\"}"},
			{"rich before hello", true, false, "{\"type\":\"hello\",\"v\":1,\"nick\":\"BADUTF8\xff\"}"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var p *peer
				switch {
				case tc.join:
					p = dialPeer(t, nil, url, fmt.Sprint("badbytes", round), true)
				case tc.rich:
					p = dialUnjoined(t, url)
				default:
					p = dialPeer(t, nil, url, "", false)
				}
				if err := p.write(websocket.TextMessage, []byte(tc.data)); err != nil {
					t.Fatal(err)
				}
				ce := expectClose(t, p, websocket.CloseInvalidFramePayloadData)
				if ce.Text != "invalid UTF-8" {
					t.Errorf("close reason %q", ce.Text)
				}
			})
		}
		t.Run("fragments", func(t *testing.T) {
			r := mustRaw(t, addr, false)
			r.write(rawFrame(opText, true, []byte("BADUTF8 fine so far é")))
			r.write(rawFrame(bitFin|opCont, true, []byte(" then \xed\xa0\x80")))
			expectRawClose(t, r, websocket.CloseInvalidFramePayloadData)
		})
	})

	sec.close(t, 2, "BADUTF8")
}

// Binary frames: a plain client is closed with 1003; a rich client gets
// error unsupported and stays connected, and ten bad frames in a row
// (binary ones count) close it with bye policy and 1008.
func TestSecBinaryFrames(t *testing.T) {
	sec := openCase(t, secConfig(t))
	url, w := sec.url, sec.w

	w.repeat(t, func(t *testing.T, round int) {
		t.Run("plain", func(t *testing.T) {
			p := dialPeer(t, nil, url, "", false)
			p.write(websocket.BinaryMessage, []byte("BINARY plain"))
			ce := expectClose(t, p, websocket.CloseUnsupportedData)
			if ce.Text != "binary frames are not supported" {
				t.Errorf("close reason %q", ce.Text)
			}
		})
		t.Run("rich", func(t *testing.T) {
			p := dialPeer(t, nil, url, fmt.Sprint("binary", round), true)
			mark := p.in.len()
			p.write(websocket.BinaryMessage, []byte("BINARY rich"))
			i := p.in.await(mark, wait, func(r received) bool { _, ok := r.f.(wire.Error); return ok })
			if i < 0 {
				t.Fatalf("no error for a binary frame: %q", p.in.all())
			}
			if e := p.in.all()[i].f.(wire.Error); e.Code != wire.CodeUnsupported {
				t.Fatalf("binary frame: %+v, want unsupported", e)
			}
			// Still connected: a good frame goes through, and resets the count.
			mark = p.in.len()
			p.send(t, wire.Send{CID: "ok", Text: "still here"})
			if p.in.await(mark, wait, func(r received) bool { m, ok := r.f.(wire.Msg); return ok && m.CID == "ok" }) < 0 {
				t.Fatalf("after a binary frame the client could not send: %q", p.in.all())
			}
			mark = p.in.len()
			for range 10 {
				p.write(websocket.BinaryMessage, []byte("BINARY again"))
			}
			expectClose(t, p, websocket.ClosePolicyViolation)
			got := p.in.all()[mark:]
			errs := 0
			for _, r := range got[:len(got)-1] {
				if e, ok := r.f.(wire.Error); ok && e.Code == wire.CodeUnsupported {
					errs++
				}
			}
			bye, ok := got[len(got)-1].f.(wire.Bye)
			if errs != 9 || !ok || bye.Reason != wire.ByePolicy {
				t.Fatalf("ten binary frames: %d errors then %q, want 9 then bye policy", errs, got[len(got)-1].raw)
			}
		})
	})

	sec.close(t, 2, "BINARY")
}

// Malformed JSON and wrong types in rich mode: each frame gets a typed
// error and the connection stays; a good frame resets the count; the
// tenth bad frame in a row closes with bye policy and 1008.
func TestSecMalformedJSON(t *testing.T) {
	sec := openCase(t, secConfig(t))
	url, w := sec.url, sec.w

	w.repeat(t, func(t *testing.T, round int) {
		p := dialPeer(t, nil, url, fmt.Sprint("garbler", round), true)
		// errorFor sends data and returns the error frame it gets.
		errorFor := func(data string) wire.Error {
			t.Helper()
			mark := p.in.len()
			if err := p.write(websocket.TextMessage, []byte(data)); err != nil {
				t.Fatal(err)
			}
			i := p.in.await(mark, wait, func(r received) bool { _, ok := r.f.(wire.Error); return ok })
			if i < 0 {
				t.Fatalf("no error for %.60q: %q", data, p.in.all()[mark:])
			}
			return p.in.all()[i].f.(wire.Error)
		}
		n := 0
		good := func() {
			t.Helper()
			n++
			cid := fmt.Sprint("good-", n)
			mark := p.in.len()
			p.send(t, wire.Send{CID: cid, Text: "JSONOK"})
			if p.in.await(mark, wait, func(r received) bool { m, ok := r.f.(wire.Msg); return ok && m.CID == cid }) < 0 {
				t.Fatalf("a good frame after bad ones was not broadcast: %q", p.in.all()[mark:])
			}
		}
		deep := `{"type":"send","text":"MALFORMED deep","x":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
		for _, tc := range []struct {
			data string
			code wire.Code
		}{
			{`{not json`, wire.CodeBadRequest},
			{`MALFORMED plain text`, wire.CodeBadRequest},
			{`[1,2]`, wire.CodeBadRequest},
			{`null`, wire.CodeBadRequest},
			{`"MALFORMED string"`, wire.CodeBadRequest},
			{`{"text":"MALFORMED no type"}`, wire.CodeBadRequest},
			{`{"type":5}`, wire.CodeBadRequest},
			{`{"type":"send","text":5}`, wire.CodeBadRequest},
			{`{"type":"send","text":"MALFORMED","cid":7}`, wire.CodeBadRequest},
			{`{"type":"send","text":["MALFORMED"]}`, wire.CodeBadRequest},
			{`{"type":"nick","nick":{"MALFORMED":1}}`, wire.CodeBadRequest},
			{`{"type":"status","status":true}`, wire.CodeBadRequest},
			{`{"type":"hello","v":"1","nick":"x"}`, wire.CodeBadRequest},
			{`{"type":"send","text":"MALFORMED"} trailing`, wire.CodeBadRequest},
			{deep, wire.CodeBadRequest},
			{`{"type":"teleport","text":"MALFORMED"}`, wire.CodeUnsupported},
			{`{"type":"msg","id":1,"from":"bob","text":"MALFORMED forged"}`, wire.CodeUnsupported},
			{`{"type":"welcome","nick":"MALFORMED"}`, wire.CodeUnsupported},
			{`{"type":"hello","v":1,"nick":"again"}`, wire.CodeAlreadyJoined},
			{`{"type":"send","text":"  \u001b\r\n "}`, wire.CodeEmpty},
		} {
			e := errorFor(tc.data)
			if e.Code != tc.code {
				t.Errorf("%.60q: error %+v, want %s", tc.data, e, tc.code)
			}
			if e.Text == "" || wire.CleanText(e.Text) != e.Text {
				t.Errorf("%.60q: error text %q is empty or not clean", tc.data, e.Text)
			}
			good()
		}

		// Nine bad frames in a row are answered, the tenth closes.
		mark := p.in.len()
		for i := range 10 {
			p.say(t, fmt.Sprintf(`{"MALFORMED %d"`, i))
		}
		expectClose(t, p, websocket.ClosePolicyViolation)
		var got []received // the answers, without the witnesses' messages
		for _, r := range p.in.all()[mark:] {
			switch r.f.(type) {
			case wire.Error, wire.Bye:
				got = append(got, r)
			}
		}
		for i, r := range got[:len(got)-1] {
			if e, ok := r.f.(wire.Error); !ok || e.Code != wire.CodeBadRequest {
				t.Fatalf("bad frame %d answered with %q", i+1, r.raw)
			}
		}
		if bye, ok := got[len(got)-1].f.(wire.Bye); len(got) != 10 || !ok || bye.Reason != wire.ByePolicy {
			t.Fatalf("ten bad frames: %d answers, the last %q; want 9 errors and bye policy", len(got), got[len(got)-1].raw)
		}
	})

	sec.close(t, 2, "MALFORMED")
}

// WebSocket protocol violations written as raw bytes after a real
// handshake: each closes with 1002 (a 64-bit length with its top bit set
// counts as oversized: 1009). Valid fragmentation, with a ping between the
// fragments and a character split across them, works in both modes.
func TestSecProtocolViolations(t *testing.T) {
	sec := openCase(t, secConfig(t))
	addr, w := sec.addr, sec.w

	text := func(fin bool, op byte, s string) []byte {
		b0 := op
		if fin {
			b0 |= bitFin
		}
		return rawFrame(b0, true, []byte(s))
	}
	w.repeat(t, func(t *testing.T, round int) {
		for _, tc := range []struct {
			name   string
			frames [][]byte
			code   int
		}{
			{"continuation first", [][]byte{text(true, opCont, "VIOLATION")}, 1002},
			{"continuation after a final frame", [][]byte{text(true, opText, "fine"), text(true, opCont, "VIOLATION")}, 1002},
			{"new message inside a fragmented one", [][]byte{text(false, opText, "VIOLATION a"), text(true, opText, "VIOLATION b")}, 1002},
			{"binary inside a fragmented text", [][]byte{text(false, opText, "VIOLATION a"), rawFrame(bitFin|opBinary, true, []byte("b"))}, 1002},
			{"ping of 126 bytes", [][]byte{rawFrame(bitFin|opPing, true, bytes.Repeat([]byte("p"), 126))}, 1002},
			{"close of 126 bytes", [][]byte{rawFrame(bitFin|opClose, true, closePayload(1000, strings.Repeat("c", 124)))}, 1002},
			{"fragmented ping", [][]byte{rawFrame(opPing, true, []byte("p"))}, 1002},
			{"fragmented close", [][]byte{rawFrame(opClose, true, closePayload(1000, ""))}, 1002},
			{"unmasked text", [][]byte{rawFrame(bitFin|opText, false, []byte("VIOLATION unmasked"))}, 1002},
			{"unmasked ping", [][]byte{rawFrame(bitFin|opPing, false, nil)}, 1002},
			{"RSV1", [][]byte{rawFrame(bitFin|bitRsv1|opText, true, []byte("VIOLATION"))}, 1002},
			{"RSV2", [][]byte{rawFrame(bitFin|bitRsv2|opText, true, []byte("VIOLATION"))}, 1002},
			{"RSV3", [][]byte{rawFrame(bitFin|bitRsv3|opText, true, []byte("VIOLATION"))}, 1002},
			{"opcode 3", [][]byte{rawFrame(bitFin|0x3, true, []byte("VIOLATION"))}, 1002},
			{"opcode 7", [][]byte{rawFrame(bitFin|0x7, true, []byte("VIOLATION"))}, 1002},
			{"opcode 0xB", [][]byte{rawFrame(bitFin|0xb, true, []byte("VIOLATION"))}, 1002},
			{"opcode 0xF", [][]byte{rawFrame(bitFin|0xf, true, nil)}, 1002},
			{"close code 1005", [][]byte{rawFrame(bitFin|opClose, true, closePayload(1005, ""))}, 1002},
			{"close code 999", [][]byte{rawFrame(bitFin|opClose, true, closePayload(999, ""))}, 1002},
			{"close code 1016", [][]byte{rawFrame(bitFin|opClose, true, closePayload(1016, ""))}, 1002},
			{"close reason not UTF-8", [][]byte{rawFrame(bitFin|opClose, true, closePayload(1000, "\xff"))}, 1002},
			{"64-bit length with the top bit", [][]byte{append([]byte{bitFin | opText, bitMask | 127, 0x80, 0, 0, 0, 0, 0, 0, 5}, 1, 2, 3, 4)}, 1009},
		} {
			for _, rich := range []bool{false, true} {
				mode := map[bool]string{false: "plain", true: "rich"}[rich]
				t.Run(mode+" "+tc.name, func(t *testing.T) {
					r := mustRaw(t, addr, rich)
					for _, f := range tc.frames {
						if r.write(f) != nil {
							break
						}
					}
					e := expectRawClose(t, r, tc.code)
					for _, s := range e.texts {
						if strings.Contains(s, "VIOLATION") {
							t.Fatalf("the offender's own frame came back: %q", s)
						}
					}
				})
			}
		}
	})

	t.Run("valid fragmentation", func(t *testing.T) {
		for _, rich := range []bool{false, true} {
			r := mustRaw(t, addr, rich)
			want := "FRAGMENTED hello woréld"
			first, last := "FRAGMENTED hello wor\xc3", "\xa9ld"
			if rich {
				r.write(text(true, opText, `{"type":"hello","v":1,"nick":"fragile"}`))
				if op, data, err := r.readFrame(); err != nil || op != opText || !strings.Contains(string(data), `"type":"welcome"`) {
					t.Fatalf("rich raw hello: op %d %.60q %v", op, data, err)
				}
				first = `{"type":"send","cid":"f1","text":"` + first
				last += `"}`
			}
			// A text message in three fragments, a ping between them, and
			// the two bytes of é split across the last two.
			r.write(text(false, opText, first[:10]))
			r.write(rawFrame(bitFin|opPing, true, []byte("between")))
			r.write(text(false, opCont, first[10:]))
			r.write(text(true, opCont, last))
			// The witnesses get it whole, from the offender's nickname.
			from := "fragile"
			if !rich {
				from = ""
			}
			i := w.rich.in.await(0, wait, func(r received) bool {
				m, ok := r.f.(wire.Msg)
				if ok && m.Text == want && from == "" {
					from = m.From
				}
				return ok && m.Text == want && m.From == from
			})
			if i < 0 {
				t.Fatalf("rich %v: the fragmented message did not arrive", rich)
			}
			if w.plain.in.await(0, wait, func(r received) bool { return r.raw == from+": "+want }) < 0 {
				t.Fatalf("the plain witness did not get the fragmented message from %s", from)
			}
			// The sender got its pong and its echo; a normal close works.
			r.write(rawFrame(bitFin|opClose, true, closePayload(1000, "")))
			e := expectRawClose(t, r, 1000)
			if len(e.pongs) != 1 || e.pongs[0] != "between" {
				t.Errorf("pongs %q, want [between]", e.pongs)
			}
			echo := false
			for _, s := range e.texts {
				echo = echo || strings.Contains(s, want)
			}
			if !echo {
				t.Errorf("no echo of the fragmented message in %q", e.texts)
			}
		}
	})

	sec.close(t, 2, "VIOLATION")
}

// unsafeRune reports a character that no client may ever be shown from
// someone's text or nickname: controls but tab and LF, bidirectional
// controls, line and paragraph separators, the byte order mark.
func unsafeRune(r rune) bool {
	switch {
	case r == '\t' || r == '\n':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028, r == 0x2029, r == 0xfeff:
		return true
	}
	return false
}

// Nicknames and messages with control characters, terminal escapes, CR/LF
// injection, Unicode line separators and bidirectional overrides: bad
// nicknames are refused, messages are cleaned. What the witnesses receive
// has no escape byte and no line that could pass for someone else's.
func TestSecSanitise(t *testing.T) {
	sec := openCase(t, secConfig(t))
	url, w := sec.url, sec.w

	t.Run("nicknames", func(t *testing.T) {
		bad := []string{
			"bob\x1b[31m", "\x1b]0;owned\x07", "bob\r\nalice", "bob\nalice", "bob\rx", "b\tob",
			"\u202ebob", "bob\u2066", "bo\u200fb", "bob\u2028x", "bo\u0085b", "bob\x00", "bob\x7f",
			"* bob", "bob: hi", "\ufeffbob", "bob\u009b",
		}
		for _, nick := range bad {
			p := dialUnjoined(t, url)
			p.send(t, wire.Hello{V: wire.Version, Nick: nick})
			i := p.in.await(0, wait, func(r received) bool { return r.f != nil })
			if i < 0 {
				t.Fatalf("hello %q: no answer", nick)
			}
			if e, ok := p.in.all()[i].f.(wire.Error); !ok || e.Code != wire.CodeNickInvalid {
				t.Errorf("hello %q: %q, want error nick_invalid", nick, p.in.all()[i].raw)
			}
			p.ws.Close()
			<-p.in.done
		}
		r := dialPeer(t, nil, url, "renamer", true)
		pl := dialPeer(t, nil, url, "", false)
		for _, nick := range bad {
			mark := r.in.len()
			r.send(t, wire.Nick{Nick: nick})
			i := r.in.await(mark, wait, func(r received) bool { _, ok := r.f.(wire.Error); return ok })
			if i < 0 || r.in.all()[i].f.(wire.Error).Code != wire.CodeNickInvalid {
				t.Errorf("nick %q: not refused as nick_invalid", nick)
			}
			if strings.ContainsAny(nick, "\r\n") {
				continue // a plain client's line ends there: another case
			}
			mark = pl.in.len()
			pl.say(t, "/nick "+nick)
			if pl.in.await(mark, wait, func(r received) bool { return strings.HasPrefix(r.raw, "* nickname not changed: ") }) < 0 {
				t.Errorf("plain /nick %q: not refused: %q", nick, pl.in.all()[mark:])
			}
		}
	})

	rich := dialPeer(t, nil, url, "mallory", true)
	plain := dialPeer(t, nil, url, "eve", false)
	w.repeat(t, func(t *testing.T, round int) {
		for _, tc := range []struct {
			name, in, want string
		}{
			{"CSI escapes", "SAN1 \x1b[2J\x1b[31mred\x1b[0m", "SAN1 [2J[31mred[0m"},
			{"OSC title", "SAN2 \x1b]0;owned\x07title", "SAN2 ]0;ownedtitle"},
			{"C1 CSI", "SAN3 \u009b31mred", "SAN3 31mred"},
			{"CR LF line", "SAN4 hi\r\nbob: forged", "SAN4 hi\nbob: forged"},
			{"lone CR", "SAN5 hi\rbob: forged", "SAN5 hi\nbob: forged"},
			{"LF", "SAN6 hi\nbob: forged", "SAN6 hi\nbob: forged"},
			{"line separator", "SAN7 hi\u2028bob: forged", "SAN7 hi\nbob: forged"},
			{"paragraph separator", "SAN8 hi\u2029bob: forged", "SAN8 hi\nbob: forged"},
			{"next line", "SAN9 hi\u0085bob: forged", "SAN9 hi\nbob: forged"},
			{"vertical tab and form feed", "SAN10 hi\vbob\f: forged", "SAN10 hibob: forged"},
			{"bidi override", "SAN11 \u202egnp.exe\u202c", "SAN11 gnp.exe"},
			{"bidi isolates and marks", "SAN12 \u2066a\u2069\u200fb\u200ec\u061c", "SAN12 abc"},
			{"BOM", "SAN13 \ufeffbom", "SAN13 bom"},
			{"bell backspace delete", "SAN14 bell\x07 back\x08\x08space del\x7f", "SAN14 bell backspace del"},
			{"NUL", "SAN15 a\x00b", "SAN15 ab"},
			{"tab stays", "SAN16 a\tb", "SAN16 a\tb"},
			{"fake notice", "* SAN17 The server is shutting down.", "* SAN17 The server is shutting down."},
			{"fake line start", "bob: SAN18 forged", "bob: SAN18 forged"},
		} {
			for _, sender := range []*peer{rich, plain} {
				from := sender.name
				t.Run(from+" "+tc.name, func(t *testing.T) {
					rm, pm := w.rich.in.len(), w.plain.in.len()
					if sender.rich {
						sender.send(t, wire.Send{CID: fmt.Sprint(round, tc.name), Text: tc.in})
					} else {
						sender.say(t, tc.in)
					}
					tok := strings.Fields(tc.want)[0]
					if tok == "*" || tok == "bob:" {
						tok = strings.Fields(tc.want)[1]
					}
					i := w.rich.in.await(rm, wait, func(r received) bool {
						m, ok := r.f.(wire.Msg)
						return ok && strings.Contains(m.Text, tok)
					})
					if i < 0 {
						t.Fatalf("the rich witness did not get %s", tok)
					}
					m := w.rich.in.all()[i].f.(wire.Msg)
					if m.From != from || m.Text != tc.want {
						t.Errorf("rich witness got %q from %q, want %q from %q", m.Text, m.From, tc.want, from)
					}
					j := w.plain.in.await(pm, wait, func(r received) bool { return strings.Contains(r.raw, tok) })
					if j < 0 {
						t.Fatalf("the plain witness did not get %s", tok)
					}
					line := w.plain.in.all()[j].raw
					indent := strings.Repeat(" ", len(from)+2)
					want := from + ": " + strings.ReplaceAll(tc.want, "\n", "\n"+indent)
					if line != want {
						t.Errorf("plain witness got %q, want %q", line, want)
					}
					for k, l := range strings.Split(line, "\n") {
						if k == 0 && !strings.HasPrefix(l, from+": ") || k > 0 && !strings.HasPrefix(l, indent) {
							t.Errorf("line %d of %q could pass for someone else's", k+1, line)
						}
					}
					for _, s := range []string{m.Text, line} {
						if i := strings.IndexFunc(s, unsafeRune); i >= 0 {
							t.Errorf("%q holds %U", s, []rune(s[i:])[0])
						}
					}
				})
			}
		}
	})
	t.Run("sender cannot be forged", func(t *testing.T) {
		rm := w.rich.in.len()
		rich.say(t, `{"type":"send","text":"SAN19 from whom","from":"bob","nick":"bob","id":1}`)
		i := w.rich.in.await(rm, wait, func(r received) bool { m, ok := r.f.(wire.Msg); return ok && m.Text == "SAN19 from whom" })
		if i < 0 {
			t.Fatal("not relayed")
		}
		if m := w.rich.in.all()[i].f.(wire.Msg); m.From != "mallory" || m.ID == 1 {
			t.Errorf("a client set its message's sender or id: %+v", m)
		}
	})

	sec.close(t, 4)
	for _, p := range []*peer{w.rich, w.plain} {
		for _, r := range p.in.all() {
			if strings.ContainsRune(r.raw, 0x1b) || strings.ContainsRune(r.raw, '\r') {
				t.Errorf("%s received %q", p.name, r.raw)
			}
		}
	}
}

// The per-connection rate limit: a burst over it gets error rate_limited
// (or a "* too many messages" line), a sustained flood gets bye policy and
// close 1008, and the witnesses, well within the limit, notice nothing.
func TestSecRateLimit(t *testing.T) {
	cfg := secConfig(t)
	cfg.Rate, cfg.Burst = 20, 10
	sec := openCase(t, cfg)
	url, w := sec.url, sec.w

	w.repeat(t, func(t *testing.T, round int) {
		t.Run("rich burst", func(t *testing.T) {
			p := dialPeer(t, nil, url, fmt.Sprint("burster", round), true)
			mark := p.in.len()
			const n = 14
			for i := range n {
				p.send(t, wire.Send{CID: fmt.Sprint("b", i), Text: fmt.Sprint("RATE burst ", i)})
			}
			// Each send is answered, by its echo or by an error.
			answered := map[string]string{}
			p.in.await(mark, wait, func(r received) bool {
				// Only this client's own sends count: the witnesses'
				// probes (no cid) are broadcast to it too.
				switch f := r.f.(type) {
				case wire.Msg:
					if f.From != p.name || !strings.HasPrefix(f.CID, "b") {
						return false
					}
					answered[f.CID] = "msg"
				case wire.Error:
					if !strings.HasPrefix(f.CID, "b") {
						t.Errorf("error %+v", f)
						return false
					}
					answered[f.CID] = string(f.Code)
					if f.Code != wire.CodeRateLimited || f.RetryMS <= 0 || f.RetryMS > 1000 {
						t.Errorf("error %+v", f)
					}
				}
				return len(answered) == n
			})
			sent, limited := 0, 0
			for i := range n {
				switch answered[fmt.Sprint("b", i)] {
				case "msg":
					sent++
				case string(wire.CodeRateLimited):
					limited++
				}
			}
			// The hello took one token of the 10; the bucket refills at 20/s.
			if sent < 9 || sent > 11 || sent+limited != n {
				t.Fatalf("a burst of %d: %d sent, %d rate limited (%v)", n, sent, limited, answered)
			}
			// Still connected.
			mark = p.in.len()
			time.Sleep(200 * time.Millisecond)
			p.send(t, wire.Send{CID: "later", Text: "RATE later"})
			if p.in.await(mark, wait, func(r received) bool { m, ok := r.f.(wire.Msg); return ok && m.CID == "later" }) < 0 {
				t.Fatal("after the burst, a message at a normal pace did not go through")
			}
		})
		t.Run("rich flood", func(t *testing.T) {
			p := dialPeer(t, nil, url, fmt.Sprint("flooder", round), true)
			for i := range 500 {
				if p.write(websocket.TextMessage, []byte(`{"type":"send","text":"RATE flood"}`)) != nil {
					break
				}
				if i%50 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
			ce := expectClose(t, p, websocket.ClosePolicyViolation)
			all := p.in.all()
			bye, ok := all[len(all)-1].f.(wire.Bye)
			if !ok || bye.Reason != wire.ByePolicy || ce.Text != "flooding" {
				t.Fatalf("flood ended with %q and close %q, want bye policy and flooding", all[len(all)-1].raw, ce.Text)
			}
		})
		t.Run("plain flood", func(t *testing.T) {
			p := dialPeer(t, nil, url, "", false)
			for range 500 {
				if p.write(websocket.TextMessage, []byte("RATE plain flood")) != nil {
					break
				}
			}
			ce := expectClose(t, p, websocket.ClosePolicyViolation)
			all := p.in.all()
			slow := 0
			for _, r := range all {
				if r.raw == "* too many messages: slow down" {
					slow++
				}
			}
			if last := all[len(all)-1].raw; slow == 0 || last != "* disconnected: too many messages" || ce.Text != "flooding" {
				t.Fatalf("plain flood: %d slow-downs, then %q and close %q", slow, last, ce.Text)
			}
		})
	})

	sec.close(t, 2)
	for _, p := range []*peer{w.rich, w.plain} {
		for _, r := range p.in.all() {
			if e, ok := r.f.(wire.Error); ok || strings.HasPrefix(r.raw, "* too many") {
				t.Errorf("witness %s, within the limit, was refused: %q %v", p.name, r.raw, e)
			}
		}
	}
}

// Slow handshakes (slowloris): connections that send nothing, half a
// request, a request one byte at a time, or upgrade and then say nothing,
// are all closed within seconds. The half-open connections, from
// 127.0.0.2, outnumber MaxConns, but only MaxConnsPerIP of them are
// counted (the rest are refused at once): meanwhile new clients from
// 127.0.0.1 get in.
func TestSecSlowloris(t *testing.T) {
	const timeout = 500 * time.Millisecond
	cfg := secConfig(t)
	cfg.HandshakeTimeout, cfg.HelloTimeout, cfg.PongTimeout = timeout, timeout, time.Second
	cfg.MaxConns, cfg.MaxConnsPerIP, cfg.LimitLoopback = 20, 10, true
	sec := openCase(t, cfg)
	url, addr, w := sec.url, sec.addr, sec.w

	started := time.Now()
	var ended sync.WaitGroup
	var mu sync.Mutex
	var late []string
	// expectEnd waits in the background for c to be closed by the server
	// within bound.
	expectEnd := func(what string, c net.Conn, bound time.Duration) {
		ended.Add(1)
		go func() {
			defer ended.Done()
			c.SetReadDeadline(time.Now().Add(bound + 2*time.Second))
			_, err := io.Copy(io.Discard, c)
			took := time.Since(started)
			if err != nil && !isReset(err) || took > bound+time.Second {
				mu.Lock()
				late = append(late, fmt.Sprintf("%s: closed after %v (%v)", what, took.Round(time.Millisecond), err))
				mu.Unlock()
			}
		}()
	}
	dialTCP := func() net.Conn {
		d := net.Dialer{Timeout: wait, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	for i := range 20 {
		expectEnd(fmt.Sprint("silent ", i), dialTCP(), timeout)
	}
	for i := range 20 {
		c := dialTCP()
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n", addr)
		expectEnd(fmt.Sprint("half a request ", i), c, timeout)
	}
	for i := range 5 {
		c := dialTCP()
		req := fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
		go func() { // one byte every 50ms: the request would take 10s
			for j := 0; j < len(req); j++ {
				if _, err := c.Write([]byte{req[j]}); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
		expectEnd(fmt.Sprint("trickle ", i), c, timeout)
	}
	// Upgraded, then silent: a rich client sends no hello, a plain one
	// never reads nor answers pings.
	var upgraded []*rawConn
	for range 3 {
		upgraded = append(upgraded, mustRaw(t, addr, true))
	}
	for range 2 {
		upgraded = append(upgraded, mustRaw(t, addr, false))
	}

	// Meanwhile a new client gets in and talks.
	newcomer := dialPeer(t, nil, url, "newcomer", true)
	mark := w.plain.in.len()
	newcomer.send(t, wire.Send{Text: "I got in"})
	if w.plain.in.await(mark, wait, func(r received) bool { return r.raw == "newcomer: I got in" }) < 0 {
		t.Fatal("a new client could not talk while the slow handshakes were open")
	}

	for i, r := range upgraded {
		e, err := r.end(wait)
		if err != nil {
			t.Fatalf("upgraded connection %d: %v", i, err)
		}
		want := websocket.ClosePolicyViolation // no hello
		if i >= 3 {
			want = websocket.CloseGoingAway // ping timeout
		}
		if e.code != want {
			t.Errorf("upgraded connection %d closed with %d %q, want %d", i, e.code, e.reason, want)
		}
	}
	if d := time.Since(started); d > cfg.PongTimeout+2*time.Second {
		t.Errorf("the upgraded, silent connections took %v to close", d)
	}
	ended.Wait()
	if len(late) > 0 {
		t.Errorf("%d half-open connections were not closed in time:\n%s", len(late), strings.Join(late, "\n"))
	}

	sec.close(t, 3)
}

// Limits on connections in all and per IP address, here with loopback
// counted (LimitLoopback) and clients on 127.0.0.2, 127.0.0.3 and
// 127.0.0.4: over the limit per address HTTP 429, over the total 503,
// both with Retry-After; a freed slot is taken again.
func TestSecConnLimits(t *testing.T) {
	cfg := secConfig(t)
	cfg.MaxConns, cfg.MaxConnsPerIP, cfg.LimitLoopback = 6, 2, true
	sec := openCase(t, cfg) // the witnesses are two from 127.0.0.1: that address is full
	srv, addr, w := sec.srv, sec.addr, sec.w

	from := func(ip string, want int) *rawConn {
		t.Helper()
		r, resp, err := rawDial(addr, rawOpts{local: net.ParseIP(ip)})
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		if status != want {
			t.Fatalf("a connection from %s: HTTP %d (%v), want %d; %+v", ip, status, err, want, srv.Stats())
		}
		if want != http.StatusSwitchingProtocols {
			if ra := resp.Header.Get("Retry-After"); ra == "" {
				t.Errorf("HTTP %d without Retry-After", status)
			}
			return nil
		}
		t.Cleanup(func() { r.c.Close() })
		return r
	}
	from("127.0.0.1", 429)
	a1 := from("127.0.0.2", 101)
	from("127.0.0.2", 101)
	from("127.0.0.2", 429)
	from("127.0.0.3", 101)
	from("127.0.0.3", 101)
	from("127.0.0.4", 503) // six in all
	from("127.0.0.4", 503)
	if st := srv.Stats(); st.Refused != 4 || st.Conns != 6 {
		t.Fatalf("stats %+v, want 4 refused and 6 connections", st)
	}
	// A slot freed is a slot for its address again, and for nobody else
	// once taken.
	a1.c.Close()
	settle(t, srv, 5)
	from("127.0.0.2", 101)
	from("127.0.0.4", 503)
	if st := srv.Stats(); st.Refused != 5 || st.Conns != 6 {
		t.Fatalf("stats %+v, want 5 refused and 6 connections", st)
	}
	// Knocking on and on changes nothing for those inside.
	w.repeat(t, func(t *testing.T, round int) {
		for range 10 {
			from("127.0.0.5", 503)
		}
	})

	sec.close(t, 6)
}

// Dead peers: a client behind a link that falls silent (no FIN), and one
// that stops reading and so never answers a ping, are dropped after the
// pong timeout, not before; the witnesses see them leave within it.
func TestSecDeadPeer(t *testing.T) {
	// late is how long after the pong timeout a drop may come on a busy
	// machine; the wait for the leaves (2*wait) is far beyond it, so that
	// a peer kept alive without answers fails as "never left".
	const ping, pong = 200 * time.Millisecond, 1500 * time.Millisecond
	const late = 1500 * time.Millisecond
	cfg := secConfig(t)
	cfg.PingInterval, cfg.PongTimeout = ping, pong
	sec := openCase(t, cfg)
	addr, w := sec.addr, sec.w

	rl := chattest.NewRelay(t, addr)
	ghostURL := "ws://" + rl.Addr() + "/"
	dialPeer(t, nil, ghostURL, "ghost", true)
	dialPeer(t, nil, ghostURL, "ghost2", false)

	// Healthy, the relayed clients outlive the pong timeout many times.
	time.Sleep(3 * pong)
	mark := w.rich.in.len()
	rl.Silence(true)
	cutAt := time.Now()
	mute := mustRaw(t, addr, false) // reads nothing from here on
	var muteNick string
	if w.rich.in.await(mark, wait, func(r received) bool {
		if j, ok := r.f.(wire.Join); ok && j.Plain {
			muteNick = j.Nick
		}
		return muteNick != ""
	}) < 0 {
		t.Fatal("the mute client did not join")
	}
	left := map[string]time.Duration{}
	w.rich.in.await(mark, 2*wait, func(r received) bool {
		if l, ok := r.f.(wire.Leave); ok {
			if l.Reason != "timeout" {
				t.Errorf("%s left for %q, want timeout", l.Nick, l.Reason)
			}
			left[l.Nick] = time.Since(cutAt)
		}
		return len(left) == 3
	})
	for _, nick := range []string{"ghost", "ghost2"} {
		d, ok := left[nick]
		switch {
		case !ok:
			t.Errorf("%s never left", nick)
		case d < pong-ping-50*time.Millisecond:
			t.Errorf("%s was dropped %v after its link went silent, before the pong timeout %v", nick, d, pong)
		case d > pong+late:
			t.Errorf("%s was dropped %v after its link went silent, pong timeout %v", nick, d, pong)
		}
	}
	if d, ok := left[muteNick]; !ok || d < pong-ping-50*time.Millisecond || d > pong+late {
		t.Errorf("the client that never reads (%s) was dropped after %v, pong timeout %v", muteNick, d, pong)
	}
	e, err := mute.end(wait)
	if err != nil || e.code != websocket.CloseGoingAway || e.reason != "ping timeout" {
		t.Errorf("the mute client's connection ended with %+v, %v; want 1001 ping timeout", e, err)
	}

	sec.close(t, 2)
}

// A stuck client that never reads while others flood the room: it is
// dropped as a slow consumer (bye slow, close 1008 "slow consumer") once
// its queue overflows, its queue never exceeds the bound, and the
// witnesses and the sender receive everything in time.
func TestSecStuckClient(t *testing.T) {
	const queueBytes = 256 << 10
	cfg := secConfig(t)
	cfg.QueueFrames, cfg.QueueBytes, cfg.Rate = 128, queueBytes, -1
	cfg.Backlog = 20 // the backlog holds messages by design: keep it out of the sums
	// Pings would drop the stuck client too (it never answers them): keep
	// them out of the way, this case is about its queue.
	cfg.PingInterval, cfg.PongTimeout = time.Minute, 2*time.Minute
	sec := openCase(t, cfg)
	srv, url, addr, w := sec.srv, sec.url, sec.addr, sec.w

	// A small receive buffer, so that the kernel takes less of the flood
	// before the server's queue has to.
	mark := w.rich.in.len()
	stuck := mustRawOpts(t, addr, rawOpts{rcvbuf: 8 << 10})
	var stuckNick string
	w.rich.in.await(mark, wait, func(r received) bool {
		if j, ok := r.f.(wire.Join); ok && j.Plain {
			stuckNick = j.Nick
		}
		return stuckNick != ""
	})
	sender := dialPeer(t, nil, url, "sender", false)

	// The stuck client reads again only once it was dropped, within the
	// grace period, to see how it was told.
	stuckEnd := make(chan rawEnd, 1)
	stuckErr := make(chan error, 1)
	go func() {
		deadline := time.Now().Add(4 * wait)
		for srv.Stats().Evictions == 0 && time.Now().Before(deadline) {
			time.Sleep(2 * time.Millisecond)
		}
		var last rawEnd
		stuck.c.SetReadDeadline(time.Now().Add(wait))
		for {
			op, data, err := stuck.readFrame()
			if err != nil {
				stuckErr <- err
				stuckEnd <- last
				return
			}
			switch op {
			case opText:
				last.texts = append(last.texts[:0], cut(string(data)))
			case opClose:
				last.code, last.reason = int(binary.BigEndian.Uint16(data)), string(data[2:])
			}
		}
	}()

	// Up to 12 MB in 16 KB messages from a plain sender, at most inFlight
	// of them not yet echoed, so that the well-behaved clients' queues
	// stay short while the stuck client's fills. The kernel's socket
	// buffers take a few MB before the server's queue starts to fill; the
	// flood goes on a little after the stuck client is dropped.
	const size, inFlight = 16<<10 - 64, 2
	pad := strings.Repeat("s", size)
	echoes := 0 // where to look for the next echo
	evictedAt, floodStart := -1, time.Now()
	total := 750
	for i := 0; i < total; i++ {
		if err := sender.write(websocket.TextMessage, fmt.Appendf(nil, "STUCKFLOOD %04d %s", i, pad)); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if evictedAt < 0 && srv.Stats().Evictions > 0 {
			evictedAt = i
			total = i + 20
			t.Logf("the stuck client was dropped after %d messages, %v", i, time.Since(floodStart))
		}
		if i >= inFlight {
			echo := fmt.Sprintf("sender: STUCKFLOOD %04d ", i-inFlight)
			echoes = sender.in.await(echoes, wait, func(r received) bool { return strings.HasPrefix(r.raw, echo) })
			if echoes < 0 {
				t.Fatalf("the sender's echo %q did not come", echo)
			}
		}
	}

	t.Logf("flood of %d messages sent in %v", total, time.Since(floodStart))
	if evictedAt < 0 {
		t.Fatalf("the stuck client was not dropped after %d messages; stats %+v", total, srv.Stats())
	}
	var end rawEnd
	select {
	case end = <-stuckEnd:
	case <-time.After(4 * wait):
		t.Fatal("the stuck client was never dropped")
	}
	if end.code != websocket.ClosePolicyViolation || end.reason != "slow consumer" ||
		len(end.texts) != 1 || end.texts[0] != "* disconnected: you did not read messages fast enough" {
		t.Fatalf("the stuck client's end: %+v (%v), want the slow notice and 1008 slow consumer", end, <-stuckErr)
	}
	if w.rich.in.await(0, wait, func(r received) bool {
		l, ok := r.f.(wire.Leave)
		return ok && l.Nick == stuckNick && l.Reason == "slow"
	}) < 0 {
		t.Errorf("the witness did not see %s leave as slow", stuckNick)
	}
	// Everyone else got every message.
	for _, p := range []*peer{w.rich, w.plain, sender} {
		last := fmt.Sprintf("STUCKFLOOD %04d ", total-1)
		if p.in.await(0, wait, func(r received) bool { return strings.Contains(r.raw, last) }) < 0 {
			t.Fatalf("%s did not get the last message", p.name)
		}
		n := 0
		for _, r := range p.in.all() {
			if strings.Contains(r.raw, "STUCKFLOOD ") {
				n++
			}
		}
		if n != total {
			t.Errorf("%s got %d of %d messages", p.name, n, total)
		}
	}
	if st := srv.Stats(); st.Evictions != 1 {
		t.Errorf("%d evictions, want 1", st.Evictions)
	}

	// Every queue is bounded by queueBytes: the stuck client's filled up,
	// the others stayed short.
	sec.closeWithin(t, 3, 24<<20, retainedGrowth, 4*queueBytes)
}

// The browser origin policy: without an Origin header (programs) and from
// the server's own origin a client gets in; from another origin it gets
// HTTP 403, unless that origin is configured as allowed.
func TestSecOriginPolicy(t *testing.T) {
	sec := openCase(t, secConfig(t))
	addr, w := sec.addr, sec.w
	cfg := secConfig(t)
	cfg.AllowedOrigins = []string{"https://chat.example/", "lan-host:2000"}
	_, listedURL := serve(t, cfg)
	listedAddr := strings.TrimPrefix(listedURL, "ws://")

	w.repeat(t, func(t *testing.T, round int) {
		for _, tc := range []struct {
			addr, origin string
			want         int
		}{
			{addr, "", 101},
			{addr, "http://" + addr, 101},
			{addr, "https://" + addr, 101},
			{addr, "http://evil.example", 403},
			{addr, "null", 403},
			{addr, "http://" + addr + ".evil.example", 403},
			{addr, "http://127.0.0.1", 403}, // another port is another origin
			{addr, "https://chat.example", 403},
			{listedAddr, "https://chat.example", 101},
			{listedAddr, "http://chat.example", 403}, // the scheme was given
			{listedAddr, "https://chat.example.evil", 403},
			{listedAddr, "http://lan-host:2000", 101},
			{listedAddr, "http://lan-host:2001", 403},
			{listedAddr, "http://" + listedAddr, 101},
			{listedAddr, "http://evil.example", 403},
		} {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			r, resp, err := rawDial(tc.addr, rawOpts{header: h})
			status := 0
			if resp != nil {
				status = resp.StatusCode
			}
			if r != nil {
				r.c.Close()
			}
			if status != tc.want {
				t.Errorf("origin %q to %s: HTTP %d (%v), want %d", tc.origin, tc.addr, status, err, tc.want)
			}
		}
		// A page elsewhere that keeps trying changes nothing for the others.
		for range 50 {
			_, resp, _ := rawDial(addr, rawOpts{header: http.Header{"Origin": {"http://evil.example"}}})
			if resp == nil || resp.StatusCode != 403 {
				t.Fatalf("cross-origin attempt: %v", resp)
			}
		}
	})

	sec.close(t, 2)
}
