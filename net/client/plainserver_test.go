package client_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// plainServer is a plain-text broadcast chat server of the kinds Parley
// must fall back to. It offers no subprotocol. In teaching style it greets
// each client and relays every text frame as it is to everyone, the sender
// included. In gorilla style (like gorilla/websocket's chat example) it
// does not greet, turns newlines in what it receives into spaces, and
// joins the messages queued for a client into one frame with newlines.
type plainServer struct {
	*httptest.Server
	gorilla bool
	noEcho  bool // relay to everyone but the sender
	// batch delays each write so that messages queue up and get joined.
	batch time.Duration

	mu     sync.Mutex
	peers  map[*plainPeer]bool
	joined atomic.Int64 // frames written that joined several messages
	got    atomic.Int64 // text frames received
}

type plainPeer struct {
	ws   *websocket.Conn
	send chan []byte
}

func newPlainServer(t *testing.T, gorilla bool) *plainServer {
	s := &plainServer{gorilla: gorilla, peers: map[*plainPeer]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// addr returns the server's host:port.
func (s *plainServer) addr() string { return strings.TrimPrefix(s.URL, "http://") }

// dropAll closes every connection abruptly.
func (s *plainServer) dropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.peers {
		p.ws.Close()
	}
}

func (s *plainServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.peers)
}

func (s *plainServer) serve(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{} // no Subprotocols: the client's offer is declined
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	p := &plainPeer{ws: ws, send: make(chan []byte, 64)}
	s.mu.Lock()
	s.peers[p] = true
	s.mu.Unlock()
	if !s.gorilla {
		p.send <- []byte(wire.Greeting)
	}
	go s.write(p)
	defer func() {
		s.mu.Lock()
		delete(s.peers, p)
		s.mu.Unlock()
		close(p.send)
		ws.Close()
	}()
	for {
		typ, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if typ != websocket.TextMessage {
			continue
		}
		s.got.Add(1)
		if s.gorilla {
			data = bytes.TrimSpace(bytes.ReplaceAll(data, []byte("\n"), []byte(" ")))
		}
		s.mu.Lock()
		for q := range s.peers {
			if s.noEcho && q == p {
				continue
			}
			select {
			case q.send <- data:
			default: // too slow: this test server just drops
			}
		}
		s.mu.Unlock()
	}
}

func (s *plainServer) write(p *plainPeer) {
	for data := range p.send {
		if s.batch > 0 {
			time.Sleep(s.batch)
		}
		frame := data
		if s.gorilla {
			var parts [][]byte
			parts = append(parts, data)
		queued:
			for {
				select {
				case more, ok := <-p.send:
					if !ok {
						break queued
					}
					parts = append(parts, more)
				default:
					break queued
				}
			}
			if len(parts) > 1 {
				s.joined.Add(1)
			}
			frame = bytes.Join(parts, []byte("\n"))
		}
		p.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if err := p.ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			p.ws.Close()
		}
	}
}

// rawPeer is a bare WebSocket client for talking to test servers.
func rawPeer(t *testing.T, url string, subprotocols ...string) *websocket.Conn {
	t.Helper()
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second, Subprotocols: subprotocols}
	url = strings.Replace(url, "http://", "ws://", 1)
	ws, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatalf("raw dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	return ws
}
