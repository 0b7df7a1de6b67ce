package server

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
)

// readInOrder reads from every reader, concurrently, until each has had
// the n frames want(0), want(1), … in that order, one message per frame.
// Frames whose payload does not start with prefix (the greeting, join
// notices) are skipped. It fails the test on a frame out of order or a
// read error, once every reader has finished.
func readInOrder(t *testing.T, readers []*bufio.Reader, prefix string, n int, want func(int) string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(readers))
	for i, br := range readers {
		wg.Go(func() {
			for next := 0; next < n; {
				body, err := readTextFrame(br)
				if err != nil {
					errs <- fmt.Errorf("client %d: reading %q: %w", i, want(next), err)
					return
				}
				if !strings.HasPrefix(string(body), prefix) {
					continue
				}
				if w := want(next); string(body) != w {
					errs <- fmt.Errorf("client %d: got %q, want %q", i, body, w)
					return
				}
				next++
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// readTextFrame reads one unmasked server frame of less than 64 KiB and
// returns its payload.
func readTextFrame(br *bufio.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(br, h[:2]); err != nil {
		return nil, err
	}
	n := int(h[1] & 0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(br, h[2:4]); err != nil {
			return nil, err
		}
		n = int(binary.BigEndian.Uint16(h[2:4]))
	case 127:
		return nil, fmt.Errorf("frame header %x: 64 KiB or more", h[:2])
	}
	body := make([]byte, n)
	_, err := io.ReadFull(br, body)
	return body, err
}
