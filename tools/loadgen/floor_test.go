package main

import (
	"fmt"
	"io"
	"net"
	"testing"
)

// BenchmarkLoopbackWrite measures the floor under any fan-out on this
// machine: the cost of one small write(2) to a loopback TCP connection
// whose reader is draining it, as a server pays once per recipient of a
// message. With conns=1000 the writes go round-robin over 1,000
// connections, as one broadcast to the big room does. Run it pinned like
// the load test:
//
//	taskset -c 0,1 go test ./tools/loadgen -run - -bench LoopbackWrite -cpu 2
func BenchmarkLoopbackWrite(b *testing.B) {
	for _, conns := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			accepted := make(chan net.Conn, conns)
			go func() {
				for range conns {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted <- c
				}
			}()
			writers := make([]net.Conn, conns)
			for i := range writers {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					b.Fatal(err)
				}
				defer c.Close()
				writers[i] = c
				r := <-accepted
				defer r.Close()
				go io.Copy(io.Discard, r)
			}
			frame := make([]byte, 2+64) // a 64-byte text frame as a server sends it
			frame[0], frame[1] = 0x81, 64
			b.SetBytes(int64(len(frame)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := writers[i%conns].Write(frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
