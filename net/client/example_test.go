package client_test

import (
	"context"
	"fmt"
	"net"

	"parley/net/client"
	"parley/net/wire"
	"parley/server"
)

// Join a server, say something, and see it delivered.
func Example() {
	srv := server.New(server.Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background(), wire.ByeEnded, "The host ended the chat")

	c, err := client.Dial(context.Background(), client.Config{Addr: ln.Addr().String(), Nick: "alice"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	cid, _ := c.Send("hello, room")
	for ev := range c.Events() {
		switch ev := ev.(type) {
		case client.Connected:
			fmt.Println("joined as", ev.Welcome.Nick, "plain:", ev.Plain)
		case client.Message:
			fmt.Printf("%s: %s (own: %v, delivered: %v)\n", ev.Msg.From, ev.Msg.Text, ev.Own, ev.Msg.CID == cid)
			fmt.Println("pending:", len(c.Pending()))
			return
		}
	}
	// Output:
	// joined as alice plain: false
	// alice: hello, room (own: true, delivered: true)
	// pending: 0
}

func ExampleParseAddr() {
	for _, s := range []string{"192.168.1.20", "laptop.local:2001", "::1", "wss://chat.example.org/ws", "host:99999"} {
		u, err := client.ParseAddr(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(u)
	}
	// Output:
	// ws://192.168.1.20:2000/
	// ws://laptop.local:2001/
	// ws://[::1]:2000/
	// wss://chat.example.org:443/ws
	// bad address: port "99999" is not a number from 1 to 65535
}
