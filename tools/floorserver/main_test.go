package main

import (
	"net"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Every client gets every text frame, its sender's included.
func TestBroadcast(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var b broadcaster
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go b.serve(c)
		}
	}()
	var clients []*websocket.Conn
	for range 3 {
		c, _, err := websocket.DefaultDialer.Dial("ws://"+ln.Addr().String()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	// A client counts once its upgrade is answered, which happens before
	// it is added: wait until all are in.
	deadline := time.Now().Add(5 * time.Second)
	for {
		b.mu.Lock()
		n := len(b.conns)
		b.mu.Unlock()
		if n == len(clients) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d clients joined", n, len(clients))
		}
		time.Sleep(time.Millisecond)
	}
	long := make([]byte, 300) // a 16-bit length
	for i := range long {
		long[i] = 'x'
	}
	for _, msg := range []string{"hello", string(long)} {
		if err := clients[1].WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		for i, c := range clients {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			typ, got, err := c.ReadMessage()
			if err != nil || typ != websocket.TextMessage || string(got) != msg {
				t.Fatalf("client %d: got %d %.20q (%v), want %.20q", i, typ, got, err, msg)
			}
		}
	}
}
