package wire

// Frames for reading the room's history beyond the welcome's backlog: a
// client asks for an older page (History) or searches (Search); the
// server answers with a Page or Results carrying the same Ref, or an
// Error with that Ref. A server that has them lists CapHistory and
// CapSearch in Welcome.Caps.

// Capabilities a server may list in Welcome.Caps. A client offers a
// feature only when the server lists it; servers that predate the list
// send none.
const (
	// CapHistory: the server answers History frames.
	CapHistory = "history"
	// CapSearch: the server answers Search frames.
	CapSearch = "search"
)

// Limits of history requests.
const (
	// MaxPage is the most messages one Page or Results carries; a larger
	// Limit is lowered to it.
	MaxPage = 200
	// DefaultPage is the Limit of a request that gives none.
	DefaultPage = 50
	// MaxQuery is the longest search query, in bytes.
	MaxQuery = 256
	// MaxRef is the longest request reference, in bytes.
	MaxRef = 64
)

// More frame types.
const (
	TypeHistory Type = "history"
	TypeSearch  Type = "search"
	TypePage    Type = "page"
	TypeResults Type = "results"
)

// History asks for older messages: up to Limit of those with ids below
// Before (0: below the next id, so the newest), the newest of them.
type History struct {
	// Ref is the client's own name for the request, repeated in the
	// answer (at most MaxRef bytes).
	Ref    string `json:"ref,omitempty"`
	Before uint64 `json:"before,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// Search asks for the messages that contain every word of Q (each as the
// start of a word, case and accents aside), newest first: up to Limit of
// those with ids below Before (0: all).
type Search struct {
	Ref    string `json:"ref,omitempty"`
	Q      string `json:"q"`
	Before uint64 `json:"before,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// Page answers History: messages oldest first. More is true when older
// messages than Msgs[0] are kept.
type Page struct {
	Ref  string `json:"ref,omitempty"`
	Msgs []Msg  `json:"msgs"`
	More bool   `json:"more,omitempty"`
}

// Results answers Search: matching messages, newest first. More is true
// when older matches remain (ask again with Before set to the last id).
type Results struct {
	Ref  string `json:"ref,omitempty"`
	Q    string `json:"q"`
	Msgs []Msg  `json:"msgs"`
	More bool   `json:"more,omitempty"`
}

// FrameType implements Frame.
func (History) FrameType() Type { return TypeHistory }

// FrameType implements Frame.
func (Search) FrameType() Type { return TypeSearch }

// FrameType implements Frame.
func (Page) FrameType() Type { return TypePage }

// FrameType implements Frame.
func (Results) FrameType() Type { return TypeResults }
