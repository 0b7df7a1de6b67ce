package wire

// Code is the machine-readable reason of an Error frame. Clients switch on
// it; the Error's Text is for people.
type Code string

// Error codes.
const (
	// CodeBadRequest: the frame was not valid JSON or had a member of the
	// wrong type.
	CodeBadRequest Code = "bad_request"
	// CodeUnsupported: a frame type or a binary frame this server does not
	// handle.
	CodeUnsupported Code = "unsupported"
	// CodeVersion: the hello asked for a protocol version this server does
	// not speak.
	CodeVersion Code = "version"
	// CodeNotJoined: a frame other than hello before the welcome.
	CodeNotJoined Code = "not_joined"
	// CodeAlreadyJoined: a second hello on a joined connection.
	CodeAlreadyJoined Code = "already_joined"
	// CodeNickTaken: another user has that nickname (case-insensitively),
	// or one that looks like it (docs/PROTOCOL.md).
	CodeNickTaken Code = "nick_taken"
	// CodeNickInvalid: the nickname breaks the rules of CheckNick, or the
	// server's rules beyond them (docs/PROTOCOL.md).
	CodeNickInvalid Code = "nick_invalid"
	// CodeEmpty: the message has no text once cleaned.
	CodeEmpty Code = "empty"
	// CodeTooLong: the message text is over Limits.MaxText.
	CodeTooLong Code = "too_long"
	// CodeBadCID: the client message id is over MaxClientID bytes.
	CodeBadCID Code = "bad_cid"
	// CodeBadStatus: a presence value the server does not accept.
	CodeBadStatus Code = "bad_status"
	// CodeRateLimited: the message was dropped for going over the rate
	// limit; Error.RetryMS says when to try again.
	CodeRateLimited Code = "rate_limited"
	// CodeDuplicate: the send repeats a cid this session already sent,
	// whose message has since left the backlog, so the server cannot
	// send it again. The message was delivered, as Error.ID: the client
	// counts its send as done. (While the backlog still holds it, the
	// server answers a repeated cid with the original msg instead.)
	CodeDuplicate Code = "duplicate"
	// CodeUnavailable: the server cannot store messages right now (its
	// disk is full or read-only), so it did not send this one; reading
	// history still works. Error.RetryMS says when to try again.
	CodeUnavailable Code = "unavailable"
)
