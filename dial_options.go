package fastws

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"time"
)

// DefaultMaxResponseHeaderBytes bounds the response head Dial reads.
const DefaultMaxResponseHeaderBytes = 16 << 10

// maxErrorBody bounds how much of a refusing server's body Dial keeps.
const maxErrorBody = 4 << 10

// DialOptions configures the client side of the opening handshake. The
// zero value dials directly or through the proxy the environment names,
// with no subprotocol and no extension.
//
// In the browser (js/wasm) the browser makes the connection, so Header,
// Compression, Extensions, TLSConfig, HTTP2 other than HTTP2Auto, Proxy,
// NetDial and FollowRedirects make Dial fail (errors.ErrUnsupported),
// and MaxResponseHeaderBytes is ignored; Subprotocols, HandshakeTimeout
// and ConnOptions apply.
type DialOptions struct {
	ConnOptions

	// Header is sent with the request (Origin, Cookie, Authorization, or
	// Host to override the URL's). The handshake's own headers (Upgrade,
	// Connection, Sec-WebSocket-*) may not be set here.
	Header http.Header

	// Subprotocols to offer, most preferred first. The server may pick
	// one (Conn.Subprotocol); an answer naming one not offered fails the
	// handshake.
	Subprotocols []string

	// Compression, when set, offers permessage-deflate (RFC 7692) with
	// these terms, and checks the server's answer against the offer.
	Compression *CompressionOptions

	// Extensions to offer besides permessage-deflate. The server's answer
	// may name only these (by name); their Rsv bits are then let through
	// to ReadFrame.
	Extensions []Extension

	// TLSConfig is used for wss:// URLs (and https:// proxies). It is
	// cloned; ServerName defaults to the URL's host and NextProtos to
	// h2 and http/1.1 (http/1.1 alone with HTTP2Off). nil means a zero
	// tls.Config. Dials to one host:port with the same TLSConfig (the
	// same pointer, or nil) and no NetDial or Proxy of their own share
	// HTTP/2 connections.
	TLSConfig *tls.Config

	// HTTP2 chooses whether a wss:// WebSocket may run as a stream of an
	// HTTP/2 connection (RFC 8441). The zero value, HTTP2Auto, uses
	// HTTP/2 where the server offers it.
	HTTP2 HTTP2Mode

	// Proxy returns the HTTP proxy for a request, as http.Transport.Proxy
	// does; the connection is tunnelled with CONNECT. The request's URL
	// uses http:// for ws:// and https:// for wss://. nil means
	// http.ProxyFromEnvironment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY); return
	// nil to connect directly.
	Proxy func(*http.Request) (*url.URL, error)

	// NetDial opens the TCP connection (to the server or to the proxy).
	// nil means a net.Dialer.
	NetDial func(ctx context.Context, network, addr string) (net.Conn, error)

	// HandshakeTimeout bounds the whole handshake: proxy, TLS, request and
	// response. 0 means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration

	// FollowRedirects makes Dial follow 3xx answers with a Location (up to
	// 10). Off by default: a redirect is returned as a *HandshakeError.
	// A redirect to another host does not carry Header's credentials
	// (Authorization, Cookie and the like) or its Host, and a redirect
	// from wss to ws is refused.
	FollowRedirects bool

	// MaxResponseHeaderBytes bounds the response head. 0 means
	// DefaultMaxResponseHeaderBytes (16 KiB).
	MaxResponseHeaderBytes int
}

var defaultDialOptions DialOptions

func (o *DialOptions) handshakeTimeout() time.Duration {
	if o.HandshakeTimeout > 0 {
		return o.HandshakeTimeout
	}
	return DefaultHandshakeTimeout
}
