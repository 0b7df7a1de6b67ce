package server_test

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"parley/net/wire"
	"parley/server"
)

// Frames that fail to decode count against the rate limit like any other:
// the limit applies before decoding, so decoding garbage is not free.
// With a burst of three, three malformed frames are answered bad_request,
// the next ones rate_limited until the strikes run out, then the client
// is closed as flooding.
func TestRateLimitBeforeDecoding(t *testing.T) {
	_, url := start(t, server.Config{Rate: 1, Burst: 3})
	obs, _ := rich(t, url, "observer")
	a := dial(t, url, true) // no hello: its frames are all garbage
	a.name = "garbler"
	for i := 0; i < 20; i++ {
		a.say(`{"type":"send","history":[` + strings.Repeat(`{},`, 100) + `{}]`) // malformed: unterminated
	}
	frames := a.expectClose(websocket.ClosePolicyViolation)
	var codes []string
	for _, f := range frames {
		fr, err := wire.Decode([]byte(f))
		if err != nil {
			t.Fatalf("frame %.80q: %v", f, err)
		}
		switch fr := fr.(type) {
		case wire.Error:
			codes = append(codes, string(fr.Code))
		case wire.Bye:
			codes = append(codes, "bye "+string(fr.Reason))
		}
	}
	want := []string{"bad_request", "bad_request", "bad_request",
		"rate_limited", "rate_limited", "rate_limited", "bye policy"}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Fatalf("answers %q, want %q", codes, want)
	}
	obs.send(wire.Send{Text: "hi"}) // the observer is fine
	if m := next[wire.Msg](obs); m.Text != "hi" {
		t.Fatalf("observer got %+v", m)
	}
}
