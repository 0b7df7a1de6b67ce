package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/gorilla/websocket"

	"parley/net/wire"
)

// Errors a Client reports. Dial, Send and the Err of Failed and
// Disconnected events wrap them, so errors.Is tells the cases apart; their
// messages are plain enough to show to people as they are.
var (
	// ErrBadAddress: the address is not host, host:port or a ws:// or
	// wss:// URL.
	ErrBadAddress = errors.New("bad address")
	// ErrRefused: the host answered but nothing listens on that port.
	ErrRefused = errors.New("connection refused: no chat server is running at that address")
	// ErrUnreachable: the host name does not resolve, or the network has
	// no route to the host.
	ErrUnreachable = errors.New("host unreachable")
	// ErrTimeout: no answer, or no complete handshake, in time.
	ErrTimeout = errors.New("timed out")
	// ErrNotChatServer: something answered, but not a WebSocket chat
	// server (an ordinary web server, another protocol, a broken peer).
	ErrNotChatServer = errors.New("not a chat server")
	// ErrBusy: the server is there but turned the connection away for now
	// (too many connections).
	ErrBusy = errors.New("the server is busy")
	// ErrVersion: the server speaks a protocol version this client does
	// not.
	ErrVersion = errors.New("the server speaks another protocol version")
	// ErrNickTaken: someone in the room already has the nickname.
	ErrNickTaken = errors.New("nickname is taken")
	// ErrNickInvalid: the nickname breaks nickname.Check's rules (checked
	// before dialing), or the server refused it as malformed.
	ErrNickInvalid = errors.New("nickname is not allowed")
	// ErrRateLimited: the server dropped a request for going over its rate
	// limit.
	ErrRateLimited = errors.New("sending too fast")
	// ErrOutboxFull: Send was called with Config.OutboxLimit messages
	// still undelivered.
	ErrOutboxFull = errors.New("too many messages are waiting to be sent")
	// ErrNotConnected: the request needs a live connection and there is
	// none at the moment (Send, by contrast, queues).
	ErrNotConnected = errors.New("not connected")
	// ErrPlain: the server is a plain-text server, which has no presence,
	// nicknames or history.
	ErrPlain = errors.New("not available on a plain-text server")
	// ErrConnLost: the connection dropped without a goodbye.
	ErrConnLost = errors.New("connection lost")
	// ErrEnded: the host ended the chat. The client does not reconnect.
	ErrEnded = errors.New("the host ended the chat")
	// ErrReplaced: this session connected again from elsewhere. The client
	// does not reconnect, or the two would take turns throwing each other
	// out.
	ErrReplaced = errors.New("this session was opened elsewhere")
	// ErrServerGone: the server said goodbye (shutting down, or it
	// dropped this client as too slow or for breaking a rule). The client
	// reconnects.
	ErrServerGone = errors.New("the server closed the connection")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("client is closed")
)

// ServerError is an Error frame from the server. errors.Is matches it to
// the sentinel of its code (ErrNickTaken, ErrNickInvalid, ErrRateLimited,
// ErrVersion, wire.ErrTextLong, wire.ErrTextEmpty); errors.As gives the
// frame itself.
type ServerError struct {
	Frame wire.Error
}

// Error returns the server's text, or its code when the text is empty.
func (e *ServerError) Error() string {
	if e.Frame.Text != "" {
		return e.Frame.Text
	}
	return "server error: " + string(e.Frame.Code)
}

// Is maps the error's code to this package's and wire's sentinels.
func (e *ServerError) Is(target error) bool {
	switch e.Frame.Code {
	case wire.CodeNickTaken:
		return target == ErrNickTaken
	case wire.CodeNickInvalid:
		return target == ErrNickInvalid
	case wire.CodeRateLimited:
		return target == ErrRateLimited
	case wire.CodeVersion:
		return target == ErrVersion
	case wire.CodeTooLong:
		return target == wire.ErrTextLong
	case wire.CodeEmpty:
		return target == wire.ErrTextEmpty
	}
	return socialIs(e.Frame.Code, target)
}

// byeError reports a Bye frame as an error.
func byeError(b wire.Bye) error {
	base := ErrServerGone
	switch b.Reason {
	case wire.ByeEnded:
		base = ErrEnded
	case wire.ByeReplaced:
		base = ErrReplaced
	case wire.ByeKicked:
		base = ErrKicked
	case wire.ByeBanned:
		base = ErrBanned
	}
	if b.Text == "" {
		return fmt.Errorf("%w (%s)", base, b.Reason)
	}
	return fmt.Errorf("%w: %s", base, b.Text)
}

// dialError turns what a failed WebSocket dial returned into one of the
// sentinels, keeping the cause for logs.
func dialError(addr string, resp *http.Response, err error) error {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		recErr  tls.RecordHeaderError
		certErr *tls.CertificateVerificationError
		authErr x509.UnknownAuthorityError
	)
	switch {
	case errors.Is(err, websocket.ErrBadHandshake) && resp != nil:
		switch resp.StatusCode {
		case http.StatusServiceUnavailable, http.StatusTooManyRequests:
			return fmt.Errorf("%w (%s answered %s)", ErrBusy, addr, resp.Status)
		case http.StatusSwitchingProtocols:
			return fmt.Errorf("%w: %s sent a broken WebSocket handshake", ErrNotChatServer, addr)
		}
		return fmt.Errorf("%w: %s answered %s instead of a WebSocket upgrade", ErrNotChatServer, addr, resp.Status)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Errorf("%w: no answer from %s", ErrTimeout, addr)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w (%s)", ErrRefused, addr)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%w: cannot find host %q", ErrUnreachable, dnsErr.Name)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%w: no route to %s", ErrUnreachable, addr)
	case errors.As(err, &recErr):
		return fmt.Errorf("%w: %s does not speak TLS (try ws:// instead of wss://)", ErrNotChatServer, addr)
	case errors.As(err, &certErr), errors.As(err, &authErr):
		return fmt.Errorf("%w: %s has a certificate this computer does not trust: %v", ErrNotChatServer, addr, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("%w: %s closed the connection during the handshake", ErrNotChatServer, addr)
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return fmt.Errorf("%w: cannot connect to %s: %v", ErrUnreachable, addr, opErr.Err)
	}
	return fmt.Errorf("%w: %s: %v", ErrNotChatServer, addr, err)
}
