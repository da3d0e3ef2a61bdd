package fastws

import (
	"net/http"
	"time"
)

// DefaultMaxHeaderBytes bounds the request head Accept reads; a longer one
// is answered with 431.
const DefaultMaxHeaderBytes = 8 << 10

// AcceptOptions configures the server side of the opening handshake, for
// Upgrade and Accept. The zero value accepts same-origin (and non-browser)
// clients with no subprotocol and no extension.
type AcceptOptions struct {
	ConnOptions

	// Subprotocols the server speaks, most preferred first. The first one
	// the client also offered is selected (Conn.Subprotocol); if none
	// matches, the connection has no subprotocol, as RFC 6455 allows.
	Subprotocols []string

	// OriginPatterns lists hosts, besides the request's own, whose pages
	// may open connections: path.Match patterns on the Origin's host and
	// port, case-insensitive, such as "example.com" or "*.example.com:8443".
	// By default only same-origin browser requests (and requests with no
	// Origin header, which do not come from browsers) are accepted, which
	// stops other sites' pages from using a visitor's cookies here
	// (cross-site WebSocket hijacking).
	OriginPatterns []string

	// CheckOrigin, when set, replaces the origin policy: it gets the Origin
	// header ("" if absent) and the request's Host and says whether to
	// accept. A test server may accept everything.
	CheckOrigin func(origin, host string) bool

	// Compression, when set, accepts permessage-deflate (RFC 7692) on the
	// terms it gives: the first offer the server can honour is taken; an
	// offer it cannot honour is declined, never accepted and then broken.
	Compression *CompressionOptions

	// Extensions, when set, is called with the extensions the client
	// offered (in its order of preference) and returns those accepted, in
	// the form they take in the response. Their Rsv bits are let through
	// to ReadFrame. It is not called when the client offers none, and
	// never sees permessage-deflate, which Compression handles.
	Extensions func(offered []Extension) []Extension

	// OnRequest and OnHeader, when set, are called by Accept (Upgrade has
	// the *http.Request instead) with the request target and with each
	// header line, as slices of the request buffer that are valid only
	// during the call: nothing is copied unless the callback copies it.
	// An error refuses the handshake, with the status of a
	// *HandshakeError or else 403 Forbidden.
	OnRequest func(target []byte) error
	OnHeader  func(name, value []byte) error

	// ResponseHeader is added to the 101 response, e.g. Set-Cookie.
	ResponseHeader http.Header

	// HandshakeTimeout bounds how long Accept waits for the whole request
	// and writes the response, against clients that send slowly or not
	// at all. 0 means DefaultHandshakeTimeout. (Upgrade relies on the
	// http.Server's ReadHeaderTimeout.)
	HandshakeTimeout time.Duration

	// MaxHeaderBytes bounds the request head Accept reads; a longer one is
	// answered with 431 Request Header Fields Too Large. 0 means
	// DefaultMaxHeaderBytes (8 KiB). (Upgrade relies on the http.Server's
	// MaxHeaderBytes.)
	MaxHeaderBytes int
}

var defaultAcceptOptions AcceptOptions

func (o *AcceptOptions) handshakeTimeout() time.Duration {
	if o.HandshakeTimeout > 0 {
		return o.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}

func (o *AcceptOptions) maxHeaderBytes() int {
	if o.MaxHeaderBytes > 0 {
		return o.MaxHeaderBytes
	}
	return DefaultMaxHeaderBytes
}
