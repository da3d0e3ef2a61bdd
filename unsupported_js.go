package fastws

import "errors"

// browserError reports what the browser's WebSocket API cannot do. It
// wraps errors.ErrUnsupported, so that errors.Is tells a limit of the
// platform from a failure of the network or the peer.
type browserError struct{ what, why string }

func (e *browserError) Error() string {
	return "fastws: " + e.what + " not available in the browser (js/wasm): " + e.why
}

func (e *browserError) Unwrap() error { return errors.ErrUnsupported }

var (
	errRawFrames = &browserError{"raw frames are", "the browser's WebSocket API exposes only messages"}
	errPing      = &browserError{"Ping is", "the browser answers the server's pings itself and cannot send its own"}
)

// inBrowser reports whether c runs on a browser's WebSocket. A Conn that
// NewConn made over another transport has the whole API, in js/wasm too.
func (c *Conn) inBrowser() bool {
	_, ok := c.t.(*browserSocket)
	return ok
}

// checkRawFrames refuses ReadFrame and WriteFrame in the browser, which
// would otherwise see the frames the browser socket makes up.
func (c *Conn) checkRawFrames() error {
	if c.inBrowser() {
		return errRawFrames
	}
	return nil
}

// checkPing refuses Ping in the browser, which would otherwise wait for
// a pong that never comes.
func (c *Conn) checkPing() error {
	if c.inBrowser() {
		return errPing
	}
	return nil
}

// checkServerSide refuses api, one of the server side's entry points.
func checkServerSide(api string) error {
	return &browserError{api + " is", "a page cannot accept connections, only open them with Dial"}
}

// checkDialOptions refuses the options the browser decides itself.
// MaxResponseHeaderBytes is ignored rather than refused: the browser
// has a limit of its own, and a larger or smaller one changes nothing a
// program relies on.
func checkDialOptions(o *DialOptions) error {
	var what, why string
	switch {
	case len(o.Header) > 0:
		what, why = "DialOptions.Header is", "the browser sets the handshake's headers itself (Origin, cookies and credentials included)"
	case o.Compression != nil:
		what, why = "DialOptions.Compression is", "the browser decides whether to offer permessage-deflate, and on which terms (Conn.Extensions says what was agreed)"
	case len(o.Extensions) > 0:
		what, why = "DialOptions.Extensions is", "the browser offers only the extensions it implements"
	case o.TLSConfig != nil:
		what, why = "DialOptions.TLSConfig is", "the browser's own TLS settings and certificates apply"
	case o.HTTP2 != HTTP2Auto:
		what, why = "DialOptions.HTTP2 other than HTTP2Auto is", "the browser chooses between HTTP/1.1 and HTTP/2 itself"
	case o.Proxy != nil:
		what, why = "DialOptions.Proxy is", "the browser's proxy settings apply"
	case o.NetDial != nil:
		what, why = "DialOptions.NetDial is", "the browser opens the connection itself"
	case o.FollowRedirects:
		what, why = "DialOptions.FollowRedirects is", "the browser fails a WebSocket handshake that is redirected"
	default:
		return nil
	}
	return &browserError{what, why}
}
