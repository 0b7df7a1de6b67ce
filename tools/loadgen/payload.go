package main

import (
	"bytes"
	"strconv"
)

// A load generator payload is one line of text:
//
//	#<sender>.<seq>.<sent>.xxxx…
//
// sender is the sending client's index, seq counts that sender's messages
// from 1 (0 is the start-up probe), sent is the send time in nanoseconds
// since the run's base time (monotonic, comparable across goroutines of
// this process), and the x padding brings it to the wanted size. It has no
// ": ", no quote, backslash or newline, so it passes every server's text
// rules unchanged and survives JSON and plain-mode prefixes as it is.

// payloadMark starts every payload.
const payloadMark = '#'

// delivery is one parsed payload.
type delivery struct {
	sender int
	seq    uint64
	sent   int64
}

// appendPayload appends a payload of at least size bytes to dst.
func appendPayload(dst []byte, sender int, seq uint64, sent int64, size int) []byte {
	start := len(dst)
	dst = append(dst, payloadMark)
	dst = strconv.AppendInt(dst, int64(sender), 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, '.')
	dst = strconv.AppendInt(dst, sent, 10)
	dst = append(dst, '.')
	for len(dst)-start < size {
		dst = append(dst, 'x')
	}
	return dst
}

// parsePayload reads a payload at the start of p, which may go on after
// it. ok is false when p is not a payload.
func parsePayload(p []byte) (d delivery, ok bool) {
	if len(p) < 8 || p[0] != payloadMark {
		return d, false
	}
	i := 1
	var nums [3]uint64
	for k := range nums {
		start := i
		var v uint64
		for i < len(p) && p[i] >= '0' && p[i] <= '9' && i-start < 19 {
			v = v*10 + uint64(p[i]-'0')
			i++
		}
		if i == start || i >= len(p) || p[i] != '.' {
			return d, false
		}
		i++
		nums[k] = v
	}
	return delivery{sender: int(nums[0]), seq: nums[1], sent: int64(nums[2])}, true
}

// plainSep separates the nickname from the text in a plain-mode line.
var plainSep = []byte(": ")

// parsePlainLine finds the payload in one line of a plain-mode frame: the
// whole line (gorilla's chat example relays text as it is) or the text
// after "nick: " (Parley's plain mode). Nicknames cannot contain ": ", so
// the first one ends the prefix.
func parsePlainLine(line []byte) (delivery, bool) {
	if len(line) > 0 && line[0] != payloadMark {
		if i := bytes.Index(line, plainSep); i >= 0 {
			line = line[i+len(plainSep):]
		}
	}
	return parsePayload(line)
}

// eachPlain calls fn for every payload in a plain-mode frame and returns
// how many lines were not payloads. gorilla's chat example joins messages
// queued for a client into one frame with "\n"; Parley sends one message
// per frame, and indents continuation lines of a multi-line text, so a
// continuation line never parses as a payload.
func eachPlain(frame []byte, fn func(delivery)) (other int) {
	for len(frame) > 0 {
		line := frame
		if i := bytes.IndexByte(frame, '\n'); i >= 0 {
			line, frame = frame[:i], frame[i+1:]
		} else {
			frame = nil
		}
		if d, ok := parsePlainLine(line); ok {
			fn(d)
		} else {
			other++
		}
	}
	return other
}

// Rich-mode frames start with their type member (wire.Encode writes it
// first), and a payload needs no JSON escaping, so the text member can be
// found without decoding the frame: the load generator's one core has
// better things to do than run encoding/json a million times a second.
var (
	richMsgPrefix   = []byte(`{"type":"msg"`)
	richErrorPrefix = []byte(`{"type":"error"`)
	richTextMember  = []byte(`"text":"`)
)

// richKind classifies a rich-mode frame.
type richKind int

const (
	richOther richKind = iota
	richMsg
	richError
)

// parseRich returns the payload of a rich-mode msg frame.
func parseRich(frame []byte) (delivery, richKind) {
	if !bytes.HasPrefix(frame, richMsgPrefix) {
		if bytes.HasPrefix(frame, richErrorPrefix) {
			return delivery{}, richError
		}
		return delivery{}, richOther
	}
	i := bytes.Index(frame, richTextMember)
	if i < 0 {
		return delivery{}, richOther
	}
	d, ok := parsePayload(frame[i+len(richTextMember):])
	if !ok {
		return delivery{}, richOther
	}
	return d, richMsg
}

// appendRichSend appends a rich-mode send frame carrying payload.
func appendRichSend(dst []byte, seq uint64, payload []byte) []byte {
	dst = append(dst, `{"type":"send","cid":"`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, `","text":"`...)
	dst = append(dst, payload...)
	return append(dst, `"}`...)
}
