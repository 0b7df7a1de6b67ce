// Command floorserver is the floor of a fan-out, for the load generator:
// a WebSocket broadcaster that does as little as a server can. It answers
// the upgrade, and each text frame a client sends goes to every client,
// its sender included, as one frame written with one write(2) per
// recipient, in the order they joined, on the goroutine that read it. No
// queues, no limits, no deadlines, no pings: nothing a real server may
// leave out, except the one system call per recipient that a message
// costs on loopback TCP. Under the load generator's big room, its latency
// is what any server that writes each recipient's frame separately would
// get on the same machine (docs/PERFORMANCE.md).
//
//	floorserver -addr 127.0.0.1:2000
package main

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:2000", "loopback address to listen on")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	var b broadcaster
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go b.serve(c)
	}
}

// broadcaster holds the connections that completed the upgrade.
type broadcaster struct {
	mu    sync.Mutex
	conns []net.Conn
}

// serve upgrades c, then broadcasts what it sends until it goes.
func (b *broadcaster) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 4096)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if _, err := fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
		base64.StdEncoding.EncodeToString(sum[:])); err != nil {
		return
	}
	b.mu.Lock()
	b.conns = append(b.conns, c)
	b.mu.Unlock()
	defer b.remove(c)
	var frame []byte
	for {
		op, payload, err := readFrame(br)
		if err != nil {
			if err != io.EOF {
				fmt.Fprintln(os.Stderr, "floorserver:", err)
			}
			return
		}
		if op != 1 {
			continue // only text frames are broadcast; close ends with EOF
		}
		frame = appendFrame(frame[:0], payload)
		b.mu.Lock()
		for _, to := range b.conns {
			to.Write(frame) // a failed client is removed by its own reader
		}
		b.mu.Unlock()
	}
}

func (b *broadcaster) remove(c net.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, x := range b.conns {
		if x == c {
			b.conns = append(b.conns[:i], b.conns[i+1:]...)
			return
		}
	}
}

// readFrame reads one masked client frame (unfragmented, as the load
// generator sends them) and returns its opcode and unmasked payload.
func readFrame(br *bufio.Reader) (op byte, payload []byte, err error) {
	var h [14]byte
	if _, err := io.ReadFull(br, h[:2]); err != nil {
		return 0, nil, err
	}
	op = h[0] & 0x0f
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(br, h[2:4]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		if _, err := io.ReadFull(br, h[2:10]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(h[2:10])
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	var mask [4]byte
	if h[1]&0x80 != 0 {
		if _, err := io.ReadFull(br, mask[:]); err != nil {
			return 0, nil, err
		}
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		return 0, nil, err
	}
	for i := range payload {
		payload[i] ^= mask[i%4]
	}
	return op, payload, nil
}

// appendFrame appends an unmasked final text frame carrying payload.
func appendFrame(dst, payload []byte) []byte {
	switch n := len(payload); {
	case n < 126:
		dst = append(dst, 0x81, byte(n))
	case n < 1<<16:
		dst = append(dst, 0x81, 126, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x81, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	return append(dst, payload...)
}
