package server

import (
	"encoding/json"
	"strings"
	"testing"

	"parley/net/wire"
)

// msgCost is exactly what a message takes in a welcome's history.
func TestMsgCost(t *testing.T) {
	for _, m := range []wire.Msg{
		{ID: 1, Time: 1700000000000, From: "alice", Text: "hi"},
		{ID: 18446744073709551615, Time: 0, From: "b", Text: strings.Repeat(`"`, 100), CID: "c-1"},
		{ID: 42, Time: 5, From: "guest-7", Text: "a\nb\x01\u2028<&>", CID: `"\`},
	} {
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		// json.Marshal escapes HTML characters, which Encode does not.
		want := len(b) + 1 - 5*strings.Count(string(b), `\u003c`) - 5*strings.Count(string(b), `\u003e`) -
			5*strings.Count(string(b), `\u0026`)
		if got := msgCost(m); got != want {
			t.Errorf("msgCost(%+v) = %d, want %d (%s,)", m, got, want, b)
		}
	}
}
