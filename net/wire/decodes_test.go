package wire_test

import (
	"errors"
	"reflect"
	"testing"

	"parley/net/wire"
)

// decoders are the two decoders by name, for table tests that check
// inputs against both.
var decoders = map[string]func([]byte) (wire.Frame, error){
	"Decode":       wire.Decode,
	"DecodeClient": wire.DecodeClient,
}

// checkDecode fails the test unless decoding in with the decoder name
// gives want, or, when wantErr is set, an error that is wantErr.
func checkDecode(t *testing.T, name, in string, want wire.Frame, wantErr error) {
	t.Helper()
	got, err := decoders[name]([]byte(in))
	switch {
	case wantErr != nil:
		if !errors.Is(err, wantErr) {
			t.Fatalf("%s(%q) = %#v, %v; want error %v", name, in, got, err, wantErr)
		}
	case err != nil:
		t.Fatalf("%s(%q): %v", name, in, err)
	case !reflect.DeepEqual(got, want):
		t.Fatalf("%s(%q) = %#v, want %#v", name, in, got, want)
	}
}
