package fastws

import "errors"

// The HTTP/2 choices of the native Dial (dial_h2.go), which the browser
// makes itself. They exist here so that code which names them compiles
// for js/wasm.

// HTTP2Mode says whether Dial may open a WebSocket as a stream of an
// HTTP/2 connection (RFC 8441). In the browser the browser decides, as
// it does for every WebSocket a page opens: only HTTP2Auto is accepted,
// and Dial fails with the others.
type HTTP2Mode uint8

const (
	// HTTP2Auto lets the browser choose HTTP/1.1 or HTTP/2.
	HTTP2Auto HTTP2Mode = iota

	// HTTP2Off cannot be honoured in the browser: Dial fails.
	HTTP2Off

	// HTTP2Only cannot be honoured in the browser: Dial fails.
	HTTP2Only
)

// ErrHTTP2Unavailable is what the native Dial returns when HTTP2Only
// finds no HTTP/2 to use. The browser's Dial never returns it: it
// refuses HTTP2Only before connecting.
var ErrHTTP2Unavailable = errors.New("the server does not offer WebSockets over HTTP/2")
