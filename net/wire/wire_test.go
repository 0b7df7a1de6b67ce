package wire_test

import (
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"

	"parley/net/wire"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func ptr[T any](v T) *T { return &v }

// frames is one frame of each type, with the members it uses filled in.
var frames = []struct {
	name  string
	frame wire.Frame
}{
	{"hello", wire.Hello{V: 1, Nick: "alice", Agent: "parley/test"}},
	{"hello_resume", wire.Hello{V: 1, Nick: "alice", Session: "s3cr3t", Epoch: "e1", After: ptr(uint64(41))}},
	{"hello_resume_zero", wire.Hello{V: 1, Nick: "alice", Epoch: "e1", After: ptr(uint64(0))}},
	{"send", wire.Send{CID: "c-1", Text: "hi <b>&</b>\nsecond line"}},
	{"nick", wire.Nick{Nick: "bob"}},
	{"status_set", wire.Status{Status: wire.Away}},
	{"status_event", wire.Status{Time: 1764090000000, Nick: "bob", Status: wire.Active}},
	{"welcome", wire.Welcome{V: 1, Nick: "alice", Session: "s3cr3t", Epoch: "e1", Room: "Parley", Server: "parley 1.0.0",
		Users:   []wire.User{{Nick: "alice", Status: wire.Active}, {Nick: "guest-1", Plain: true}},
		History: []wire.Msg{{ID: 41, Time: 1764090000000, From: "bob", Text: "hello", CID: "b-7"}},
		LastID:  41, Resumed: true, Gap: true,
		Limits: wire.Limits{MaxText: wire.DefaultMaxText, MaxFrame: wire.DefaultMaxFrame, Rate: 30, Burst: 60}}},
	{"welcome_empty", wire.Welcome{V: 1, Nick: "alice", Session: "s", Epoch: "e", Users: []wire.User{}, History: []wire.Msg{}}},
	{"msg", wire.Msg{ID: 42, Time: 1764090000001, From: "alice", Text: "ünïcödé ✓ \"quoted\"", CID: "c-2"}},
	{"join", wire.Join{Time: 1, Nick: "carol", Status: wire.Active}},
	{"leave", wire.Leave{Time: 2, Nick: "carol", Reason: "timeout"}},
	{"rename", wire.Rename{Time: 3, Nick: "guest-2", To: "dave"}},
	{"error", wire.Error{Code: wire.CodeRateLimited, Text: "slow down", CID: "c-3", RetryMS: 250}},
	{"error_duplicate", wire.Error{Code: wire.CodeDuplicate, Text: "already sent as message 7", CID: "c-1", ID: 7}},
	{"notice", wire.Notice{Text: "The server restarts in a minute"}},
	{"bye", wire.Bye{Reason: wire.ByeEnded, Text: "The host ended the chat"}},
	{"welcome_caps", wire.Welcome{V: 1, Nick: "alice", Session: "s", Epoch: "e", Users: []wire.User{}, History: []wire.Msg{},
		Caps: []string{wire.CapHistory, wire.CapSearch}}},
	{"history", wire.History{Ref: "h1", Before: 41, Limit: 50}},
	{"history_newest", wire.History{}},
	{"search", wire.Search{Ref: "s1", Q: "the link", Before: 900, Limit: 20}},
	{"page", wire.Page{Ref: "h1", Msgs: []wire.Msg{{ID: 40, Time: 1764090000000, From: "bob", Text: "older"}}, More: true}},
	{"page_empty", wire.Page{Ref: "h2", Msgs: []wire.Msg{}}},
	{"results", wire.Results{Ref: "s1", Q: "the link", Msgs: []wire.Msg{{ID: 7, Time: 1, From: "carol", Text: "the link: https://example.com"}}}},
	{"error_unavailable", wire.Error{Code: wire.CodeUnavailable, Text: "cannot store messages", CID: "c-9", RetryMS: 5000}},
	{"error_ref", wire.Error{Code: wire.CodeUnavailable, Text: "history cannot be read", Ref: "h3"}},
}

func TestEncodeGolden(t *testing.T) {
	for _, tc := range frames {
		t.Run(tc.name, func(t *testing.T) {
			got, err := wire.Encode(tc.frame)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tc.name, got)
			if !strings.HasPrefix(string(got), `{"type":"`+string(tc.frame.FrameType())+`"`) {
				t.Errorf("type member is not first: %s", got)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range frames {
		t.Run(tc.name, func(t *testing.T) {
			data, err := wire.Encode(tc.frame)
			if err != nil {
				t.Fatal(err)
			}
			back, err := wire.Decode(data)
			if err != nil {
				t.Fatalf("Decode(%s): %v", data, err)
			}
			if !reflect.DeepEqual(back, tc.frame) {
				t.Errorf("round trip changed the frame\n got %#v\nwant %#v", back, tc.frame)
			}
		})
	}
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want wire.Frame
		err  error
	}{
		{"send", `{"type":"send","text":"hi","cid":"x"}`, wire.Send{Text: "hi", CID: "x"}, nil},
		{"members in any order", `{"text":"hi","type":"send"}`, wire.Send{Text: "hi"}, nil},
		{"unknown members ignored", `{"type":"nick","nick":"bob","color":"red"}`, wire.Nick{Nick: "bob"}, nil},
		{"hello without after", `{"type":"hello","v":1,"nick":"a"}`, wire.Hello{V: 1, Nick: "a"}, nil},
		{"not json", `hello`, nil, wire.ErrMalformed},
		{"empty", ``, nil, wire.ErrMalformed},
		{"array", `[1,2]`, nil, wire.ErrMalformed},
		{"null", `null`, nil, wire.ErrMalformed},
		{"no type", `{"text":"hi"}`, nil, wire.ErrMalformed},
		{"type is a number", `{"type":5}`, nil, wire.ErrMalformed},
		{"text is a number", `{"type":"send","text":5}`, nil, wire.ErrMalformed},
		{"after is negative", `{"type":"hello","nick":"a","after":-1}`, nil, wire.ErrMalformed},
		{"truncated", `{"type":"send","text":"hi`, nil, wire.ErrMalformed},
		{"trailing garbage", `{"type":"send"} x`, nil, wire.ErrMalformed},
		{"unknown type", `{"type":"teleport"}`, nil, wire.ErrUnknownType},
		{"empty type", `{"type":""}`, nil, wire.ErrUnknownType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkDecode(t, "Decode", tc.in, tc.want, tc.err)
		})
	}
}

func TestEncodeNil(t *testing.T) {
	if _, err := wire.Encode(nil); !errors.Is(err, wire.ErrMalformed) {
		t.Fatalf("Encode(nil) error = %v, want ErrMalformed", err)
	}
}
