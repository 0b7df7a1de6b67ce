package wire_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"parley/net/wire"
)

// DecodeClient agrees with Decode on every frame a client may send, and
// refuses the frames only a server sends.
func TestDecodeClient(t *testing.T) {
	for _, tc := range frames {
		data, err := wire.Encode(tc.frame)
		if err != nil {
			t.Fatal(err)
		}
		got, err := wire.DecodeClient(data)
		switch tc.frame.(type) {
		case wire.Hello, wire.Send, wire.Nick, wire.History, wire.Search, wire.Auth:
			if err != nil || !reflect.DeepEqual(got, tc.frame) {
				t.Errorf("%s: DecodeClient = %#v, %v; want %#v", tc.name, got, err, tc.frame)
			}
		case wire.Status:
			want := wire.Status{Status: tc.frame.(wire.Status).Status}
			if err != nil || got != want {
				t.Errorf("%s: DecodeClient = %#v, %v; want %#v", tc.name, got, err, want)
			}
		default:
			if !errors.Is(err, wire.ErrServerFrame) {
				t.Errorf("%s: DecodeClient = %#v, %v; want ErrServerFrame", tc.name, got, err)
			}
		}
	}
}

// FuzzDecodeClient checks DecodeClient against Decode on any input: it
// never accepts what Decode refuses, returns what Decode returns for a
// client's frames, and refuses a server's frames with ErrServerFrame.
func FuzzDecodeClient(f *testing.F) {
	for _, tc := range frames {
		data, err := wire.Encode(tc.frame)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"type":"send","history":[{},{}],"text":"x"}`))
	f.Add([]byte(`{"type":"status","status":"away","ts":1,"nick":"mallory"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, cerr := wire.DecodeClient(data)
		d, derr := wire.Decode(data)
		if cerr != nil {
			if !errors.Is(cerr, wire.ErrMalformed) && !errors.Is(cerr, wire.ErrUnknownType) && !errors.Is(cerr, wire.ErrServerFrame) {
				t.Fatalf("DecodeClient error %v wraps no sentinel", cerr)
			}
			if errors.Is(cerr, wire.ErrServerFrame) && (derr != nil || isClientFrame(d)) {
				t.Fatalf("%q: ErrServerFrame, but Decode gave %#v, %v", data, d, derr)
			}
			return
		}
		if derr != nil {
			// Members only a server sends are not read by DecodeClient, so
			// a wrong JSON type there is no error for it.
			if !errors.Is(derr, wire.ErrMalformed) {
				t.Fatalf("%q: DecodeClient accepted what Decode refused with %v", data, derr)
			}
			return
		}
		if st, ok := d.(wire.Status); ok {
			d = wire.Status{Status: st.Status}
		}
		if !reflect.DeepEqual(c, d) {
			t.Fatalf("%q: DecodeClient %#v, Decode %#v", data, c, d)
		}
	})
}

func isClientFrame(f wire.Frame) bool {
	switch f.(type) {
	case wire.Hello, wire.Send, wire.Nick, wire.Status, wire.History, wire.Search, wire.Auth:
		return true
	}
	return false
}

// A frame stuffed with members only a server sends costs DecodeClient the
// scan of its bytes, not the building of what they hold.
func BenchmarkDecodeClientStuffed(b *testing.B) {
	data := []byte(`{"type":"send","text":"hi","history":[` + strings.Repeat(`{},`, 20000) + `{}]}`)
	for _, bc := range []struct {
		name   string
		decode func([]byte) (wire.Frame, error)
	}{{"Decode", wire.Decode}, {"DecodeClient", wire.DecodeClient}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				bc.decode(data)
			}
		})
	}
}
