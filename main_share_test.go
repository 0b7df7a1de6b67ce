package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"parley/net/client"
	"parley/net/pin"
)

// TestWriteShare: the start-up printout names, for each address, the
// join link (with the key when encrypted), the web address and the
// WebSocket address, then the key's code or a warning that the chat is
// not encrypted.
func TestWriteShare(t *testing.T) {
	fp := pin.Fingerprint{1, 2, 3}
	for _, tc := range []struct {
		name    string
		info    shareInfo
		want    []string
		notWant []string
	}{
		{"encrypted", shareInfo{Room: "Lab", Addrs: []string{"192.168.1.20:2000", "10.0.0.5:2000"}, FP: fp},
			[]string{`Others join "Lab" at:`, "  192.168.1.20:2000\n", "parley://192.168.1.20:2000?fp=" + fp.String(),
				"https://192.168.1.20:2000/", "wss://192.168.1.20:2000/", "wss://10.0.0.5:2000/", fp.Code(), fp.Words()[0]},
			[]string{"ws://192", "http://", "Not encrypted"}},
		{"encrypted and plain", shareInfo{Room: "Lab", Addrs: []string{"192.168.1.20:2000"}, FP: fp, Plain: true},
			[]string{"wss://192.168.1.20:2000/", "plain text: ws://192.168.1.20:2000/ and http://192.168.1.20:2000/ (not encrypted)"},
			nil},
		{"plain", shareInfo{Room: "Lab", Addrs: []string{"[fd00::1]:2000"}},
			[]string{"parley://[fd00::1]:2000\n", "http://[fd00::1]:2000/", "ws://[fd00::1]:2000/", "Not encrypted"},
			[]string{"fp=", "wss://", "https://"}},
		{"loopback", shareInfo{Room: "Lab", Addrs: []string{"127.0.0.1:2000"}, Local: true},
			[]string{`Only this computer can join "Lab"`, "ws://127.0.0.1:2000/"}, nil},
		{"no address", shareInfo{Room: "Lab"},
			[]string{`no network address others could use to join "Lab"`}, []string{"ws://"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			writeShare(&b, tc.info)
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("no %q in\n%s", w, b.String())
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(b.String(), w) {
					t.Errorf("%q in\n%s", w, b.String())
				}
			}
		})
	}
}

// syncBuffer is a bytes.Buffer that the server's goroutine writes while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServerPrintsShare: parley -server -tls prints, once it listens,
// a join link that a client can join with, checking the key it carries.
func TestServerPrintsShare(t *testing.T) {
	var out, errOut syncBuffer
	status := make(chan int, 1)
	go func() {
		status <- run([]string{"-server", "-no-history", "-tls", "-data", t.TempDir(), "-addr", "127.0.0.1:0", "-room", "Lab"},
			&out, &errOut)
	}()
	linkRE := regexp.MustCompile(`Parley app: (parley://\S+)`)
	var m []string
	for deadline := time.Now().Add(15 * time.Second); m == nil; {
		select {
		case s := <-status:
			t.Fatalf("the server stopped with %d\nstdout: %s\nstderr: %s", s, out.String(), errOut.String())
		case <-time.After(10 * time.Millisecond):
		}
		if m = linkRE.FindStringSubmatch(out.String()); m == nil && time.Now().After(deadline) {
			t.Fatalf("no join link printed\nstdout: %s\nstderr: %s", out.String(), errOut.String())
		}
	}
	// The server listens when it prints: stop it with the signal its
	// user would send, whatever happens below.
	defer func() {
		syscall.Kill(syscall.Getpid(), syscall.SIGINT)
		select {
		case s := <-status:
			if s != 0 {
				t.Errorf("exit status %d after SIGINT\nstderr: %s", s, errOut.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("the server did not stop on SIGINT")
		}
	}()
	text := out.String()
	for _, w := range []string{`Only this computer can join "Lab"`, "wss://127.0.0.1:", "https://127.0.0.1:", "The key's code"} {
		if !strings.Contains(text, w) {
			t.Errorf("no %q in\n%s", w, text)
		}
	}
	link, err := client.ParseLink(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := net.SplitHostPort(link.Addr); err != nil || link.Fingerprint == "" {
		t.Fatalf("printed link %q: want an address and a key", m[1])
	}
	fp, err := pin.Parse(link.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, fp.Code()) {
		t.Errorf("the printed code is not the link's key %s:\n%s", fp.Code(), text)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, client.Config{Addr: "wss://" + link.Addr + "/", Nick: "visitor", Fingerprint: fp})
	if err != nil {
		t.Fatalf("joining with the printed link: %v", err)
	}
	c.Close()
}
