package wire_test

import (
	"fmt"

	"parley/net/wire"
)

// A rich client joins, sends a message and reads the server's broadcast.
func Example() {
	hello, _ := wire.Encode(wire.Hello{V: wire.Version, Nick: "alice"})
	fmt.Println(string(hello))

	send, _ := wire.Encode(wire.Send{CID: "c-1", Text: "hello, room"})
	fmt.Println(string(send))

	f, err := wire.Decode([]byte(`{"type":"msg","id":7,"ts":1764090000000,"from":"alice","text":"hello, room","cid":"c-1"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	switch m := f.(type) {
	case wire.Msg:
		fmt.Printf("#%d %s: %s (echo of %s)\n", m.ID, m.From, m.Text, m.CID)
	}
	// Output:
	// {"type":"hello","v":1,"nick":"alice"}
	// {"type":"send","cid":"c-1","text":"hello, room"}
	// #7 alice: hello, room (echo of c-1)
}

// Plain-text clients see each message as one "nick: text" frame.
func ExamplePlainLine() {
	fmt.Println(wire.PlainLine("bob", "two\nlines"))
	// Output:
	// bob: two
	//      lines
}
