package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// echoServer is a gorilla/websocket server that echoes every message and
// obeys a few commands, to test the load generator's client against an
// independent implementation.
func echoServer(t *testing.T, pongs chan<- string) string {
	t.Helper()
	up := websocket.Upgrader{
		// A tiny write buffer makes gorilla split long messages into
		// several frames: the client must reassemble them.
		WriteBufferSize: 64,
		Subprotocols:    []string{"parley.v1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ws" {
			http.NotFound(w, r)
			return
		}
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.SetPongHandler(func(s string) error { pongs <- s; return nil })
		for {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			op, p, err := c.ReadMessage()
			if err != nil {
				return
			}
			switch s := string(p); {
			case s == "ping":
				c.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second))
			case strings.HasPrefix(s, "close "):
				c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4000, strings.TrimPrefix(s, "close ")))
				return
			case s == "hangup":
				return
			default:
				c.WriteMessage(op, p)
			}
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func dialTest(t *testing.T, addr, path, proto string, rbuf int) (*wsConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, err := dialWS(ctx, &net.Dialer{}, addr, path, proto, rbuf, time.Now())
	if err == nil {
		t.Cleanup(ws.close)
		ws.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	}
	return ws, err
}

func TestWSEcho(t *testing.T) {
	addr := echoServer(t, make(chan string, 1))
	ws, err := dialTest(t, addr, "/ws", "", 256)
	if err != nil {
		t.Fatal(err)
	}
	if ws.proto != "" {
		t.Errorf("subprotocol %q, want none", ws.proto)
	}
	tests := []struct {
		name string
		msg  []byte
	}{
		{"short", []byte("hello")},
		{"empty", []byte{}},
		{"125 bytes", bytes.Repeat([]byte("a"), 125)},
		{"16-bit length", bytes.Repeat([]byte("b"), 200)},
		{"over the read buffer", bytes.Repeat([]byte("c"), 1000)},
		{"64-bit length", bytes.Repeat([]byte("d"), 70000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ws.writeText(tt.msg); err != nil {
				t.Fatal(err)
			}
			op, p, err := ws.readMessage()
			if err != nil {
				t.Fatal(err)
			}
			if op != opText || !bytes.Equal(p, tt.msg) {
				t.Errorf("echo: op %d, %d bytes, want text of %d bytes", op, len(p), len(tt.msg))
			}
		})
	}
}

func TestWSPingAndClose(t *testing.T) {
	pongs := make(chan string, 1)
	addr := echoServer(t, pongs)
	ws, err := dialTest(t, addr, "/ws", "parley.v1", 4096)
	if err != nil {
		t.Fatal(err)
	}
	if ws.proto != "parley.v1" {
		t.Errorf("subprotocol %q, want parley.v1", ws.proto)
	}
	// The server pings, then echoes: the client answers the ping by
	// itself while it waits for the echo.
	ws.writeText([]byte("ping"))
	ws.writeText([]byte("after the ping"))
	_, p, err := ws.readMessage()
	if err != nil || string(p) != "after the ping" {
		t.Fatalf("readMessage = %q, %v", p, err)
	}
	select {
	case s := <-pongs:
		if s != "are you there" {
			t.Errorf("pong %q, want the ping's payload", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pong within 5s")
	}
	ws.writeText([]byte("close too slow"))
	_, _, err = ws.readMessage()
	var ce *closeError
	if !errors.As(err, &ce) || ce.Code != 4000 || ce.Reason != "too slow" {
		t.Errorf("readMessage after close = %v, want close 4000 too slow", err)
	}
}

func TestWSHangup(t *testing.T) {
	addr := echoServer(t, make(chan string, 1))
	ws, err := dialTest(t, addr, "/ws", "", 4096)
	if err != nil {
		t.Fatal(err)
	}
	ws.writeText([]byte("hangup"))
	if _, _, err := ws.readMessage(); err == nil {
		t.Error("readMessage after the server hung up: no error")
	}
}

func TestWSHandshakeErrors(t *testing.T) {
	addr := echoServer(t, make(chan string, 1))
	if _, err := dialTest(t, addr, "/nope", "", 4096); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("dial a path that is not WebSocket: %v, want a 404 error", err)
	}
	// Not an HTTP server at all.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
			c.Close()
		}
	}()
	if _, err := dialTest(t, ln.Addr().String(), "/ws", "", 4096); err == nil {
		t.Error("dial a server that is not HTTP: no error")
	}
}

func TestWSRejectsBadFrames(t *testing.T) {
	tests := []struct {
		name  string
		bytes []byte
	}{
		{"reserved bits", []byte{0xf1, 0x01, 'x'}},
		{"unknown opcode", []byte{0x83, 0x01, 'x'}},
		{"continuation first", []byte{0x80, 0x01, 'x'}},
		{"fragmented ping", []byte{0x09, 0x00}},
		{"too long", []byte{0x81, 127, 0, 0, 0, 0, 0x10, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go rawServer(ln, tt.bytes)
			ws, err := dialTest(t, ln.Addr().String(), "/ws", "", 4096)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := ws.readMessage(); !errors.Is(err, errProtocol) {
				t.Errorf("readMessage = %v, want a protocol error", err)
			}
		})
	}
}

// rawServer accepts one connection, completes the handshake and writes
// frame as it is.
func rawServer(ln net.Listener, frame []byte) {
	c, err := ln.Accept()
	if err != nil {
		return
	}
	defer c.Close()
	buf := make([]byte, 4096)
	n, _ := c.Read(buf)
	var key string
	for _, line := range strings.Split(string(buf[:n]), "\r\n") {
		if k, ok := strings.CutPrefix(line, "Sec-WebSocket-Key: "); ok {
			key = k
		}
	}
	c.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n\r\n"))
	c.Write(frame)
	time.Sleep(time.Second)
}

func TestCheckLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:2000": true, "127.0.0.9:1": true, "[::1]:2000": true, "localhost:80": true,
		"10.0.0.1:2000": false, "example.com:80": false, "0.0.0.0:2000": false, "nonsense": false,
	} {
		if err := checkLoopback(addr); (err == nil) != ok {
			t.Errorf("checkLoopback(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}
