package server

import "errors"

// errShortClose reports a close frame whose payload is one byte. RFC 6455
// §5.5.1 allows a close body that is empty or that starts with a two-byte
// code; gorilla reads a one-byte body as an empty one and would answer it
// with an empty close, as if the client had done nothing wrong.
var errShortClose = errors.New("websocket: close frame with a 1-byte payload")

// checkClose looks at the frame at the start of the read buffer, where
// the reader is at a frame boundary (between messages, as for
// skipPongs: TestGorillaSkipPongs pins it), and returns errShortClose if it is a close frame with a
// one-byte payload, before gorilla reads it. The reader then ends the
// peer as for any protocol error: close 1002. It waits for a second byte
// only behind a close opcode, as gorilla would wait for it anyway.
//
// A close frame between the fragments of a message is read inside
// gorilla and still gets its empty close.
func (p *peer) checkClose() error {
	b, err := p.br.Peek(1)
	if err != nil || b[0]&0x0f != opClose {
		return nil // gorilla reports the error, or reads the frame
	}
	if b, err = p.br.Peek(2); err == nil && b[1]&0x7f == 1 {
		return errShortClose
	}
	return nil
}
