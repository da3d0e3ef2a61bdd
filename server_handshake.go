package fastws

import (
	"net/http"
)

// upgradeRequest is what the server checks in an opening handshake. Accept
// fills it from its own parser with slices of the request buffer; Upgrade
// fills it from an *http.Request.
//
// It lives on the stack of the connection's goroutine while the request is
// parsed, so it is kept small: Sec-WebSocket-Extensions lines are only
// counted while parsing, and joined into extensions afterwards if the
// server negotiates extensions at all.
type upgradeRequest struct {
	host       []byte
	key        []byte
	version    []byte
	origin     []byte
	extensions string // the Sec-WebSocket-Extensions lines, joined by commas
	protocol   int    // index in AcceptOptions.Subprotocols of the best offer

	hosts, keys, versions, origins, extLines headerCount

	methodGET    bool
	http11       bool // HTTP/1.1 or later
	upgrade      bool // Upgrade lists "websocket"
	connection   bool // Connection lists "upgrade"
	headerTooBig bool
	// h2 marks an RFC 8441 extended CONNECT on HTTP/2, whose method,
	// :protocol and stream replace HTTP/1.1's GET, Upgrade, Connection
	// and key (RFC 8441 section 5): those checks are skipped.
	h2 bool
}

// maxExtensionLines bounds the Sec-WebSocket-Extensions lines of a request.
const maxExtensionLines = 8

// headerCount counts the lines of one header in a request. Only 0, 1 and
// "more" matter, so it saturates instead of wrapping; it is a byte because
// the request is parsed on the stack of the connection's goroutine, whose
// size is most of what an idle connection costs.
type headerCount uint8

func (n *headerCount) inc() {
	if *n < 255 {
		*n++
	}
}

// rejection is why a handshake is refused and the status that says so.
type rejection struct {
	status int
	reason string
	header [][2]string
}

var (
	rejectMethod     = &rejection{http.StatusMethodNotAllowed, "method must be GET", [][2]string{{"Allow", "GET"}}}
	rejectProto      = &rejection{http.StatusHTTPVersionNotSupported, "HTTP/1.1 or later required", nil}
	rejectHost       = &rejection{http.StatusBadRequest, "exactly one non-empty Host header required", nil}
	rejectUpgrade    = &rejection{http.StatusUpgradeRequired, "Upgrade header must list websocket", [][2]string{{"Upgrade", "websocket"}}}
	rejectConnection = &rejection{http.StatusBadRequest, "Connection header must list upgrade", nil}
	rejectKey        = &rejection{http.StatusBadRequest, "Sec-WebSocket-Key must be base64 of 16 bytes, sent once", nil}
	rejectVersion    = &rejection{http.StatusUpgradeRequired, "Sec-WebSocket-Version must be 13", [][2]string{{"Upgrade", "websocket"}, {"Sec-WebSocket-Version", "13"}}}
	rejectOrigin     = &rejection{http.StatusForbidden, "origin not allowed", nil}
	rejectExtensions = &rejection{http.StatusBadRequest, "malformed Sec-WebSocket-Extensions header", nil}
	rejectTooBig     = &rejection{http.StatusRequestHeaderFieldsTooLarge, "request header too large", nil}
	rejectMalformed  = &rejection{http.StatusBadRequest, "malformed HTTP request", nil}
)

// connection is the Connection header of the refusal on a raw connection,
// which is closed after it. A 426 names the protocol to upgrade to in an
// Upgrade header (RFC 9110 section 15.5.22), and a sender of Upgrade lists
// "upgrade" in Connection (section 7.8), both in one header.
func (r *rejection) connection() string {
	if r.status == http.StatusUpgradeRequired {
		return "Upgrade, close"
	}
	return "close"
}

// err is the error a refused handshake returns. It is out of line because
// it is cold and its temporaries would otherwise sit in the frames of the
// handshake functions.
//
//go:noinline
func (r *rejection) err() *HandshakeError {
	return &HandshakeError{StatusCode: r.status, Reason: r.reason + " (answered " + itoa(r.status) + ")"}
}

// header records one request header line.
func (u *upgradeRequest) header(name, value []byte, opts *AcceptOptions) {
	switch {
	case equalFold(name, "Host"):
		u.host = value
		u.hosts.inc()
	case equalFold(name, "Upgrade"):
		u.upgrade = u.upgrade || hasToken(value, "websocket")
	case equalFold(name, "Connection"):
		u.connection = u.connection || hasToken(value, "upgrade")
	case equalFold(name, "Sec-WebSocket-Key"):
		u.key = value
		u.keys.inc()
	case equalFold(name, "Sec-WebSocket-Version"):
		u.version = value
		u.versions.inc()
	case equalFold(name, "Origin"):
		u.origin = value
		u.origins.inc()
	case equalFold(name, "Sec-WebSocket-Protocol"):
		u.protocol = rankSubprotocols(opts.Subprotocols, value, u.protocol)
	case equalFold(name, "Sec-WebSocket-Extensions"):
		u.extLines.inc()
	}
}

// check applies RFC 6455 section 4.2.1 and the origin policy.
func (u *upgradeRequest) check(opts *AcceptOptions) *rejection {
	switch {
	case u.headerTooBig:
		return rejectTooBig
	case !u.h2 && !u.methodGET:
		return rejectMethod
	case !u.h2 && !u.http11:
		return rejectProto
	case u.hosts != 1 || len(u.host) == 0:
		return rejectHost
	case !u.h2 && !u.upgrade:
		return rejectUpgrade
	case !u.h2 && !u.connection:
		return rejectConnection
	case u.versions != 1 || string(u.version) != "13":
		return rejectVersion
	case !u.h2 && (u.keys != 1 || !validKey(u.key)):
		return rejectKey
	case u.extLines > maxExtensionLines:
		return rejectExtensions
	case u.origins > 1:
		return rejectOrigin
	}
	if opts.CheckOrigin != nil {
		if !opts.CheckOrigin(string(u.origin), string(u.host)) {
			return rejectOrigin
		}
	} else if !originAllowed(u.origin, u.host, opts.OriginPatterns) {
		return rejectOrigin
	}
	return nil
}

// negotiated is what a handshake settled.
type negotiated struct {
	protocol   string
	extensions string // the response's Sec-WebSocket-Extensions value
	rsv        byte   // reserved bits claimed by user extensions
	deflate    *compression
}

// wantsExtensions reports whether negotiate needs the joined extension
// lines: the client offered some and the server takes some.
func (u *upgradeRequest) wantsExtensions(opts *AcceptOptions) bool {
	return u.extLines > 0 && (opts.Extensions != nil || opts.Compression != nil)
}

func (u *upgradeRequest) negotiate(opts *AcceptOptions) (negotiated, *rejection) {
	var n negotiated
	if u.protocol < len(opts.Subprotocols) {
		n.protocol = opts.Subprotocols[u.protocol]
	}
	if !u.wantsExtensions(opts) {
		return n, nil
	}
	offered, err := ParseExtensions(u.extensions)
	if err != nil {
		return n, rejectExtensions
	}
	var accepted []Extension
	if opts.Compression != nil {
		if ext, c, ok := acceptDeflate(offered, opts.Compression); ok {
			accepted = append(accepted, ext)
			n.deflate = c
		}
	}
	if opts.Extensions != nil {
		if others := withoutDeflate(offered); len(others) > 0 {
			for _, e := range opts.Extensions(others) {
				n.rsv |= e.Rsv
				accepted = append(accepted, e)
			}
		}
	}
	if len(accepted) > 0 {
		n.extensions = formatExtensions(accepted)
	}
	return n, nil
}

// appendSwitching appends the 101 response, with accept, the
// Sec-WebSocket-Accept value (acceptKey). The caller computes it: hashing
// takes stack, and the handshake's call chains are kept shallow.
func appendSwitching(dst []byte, accept *[28]byte, n *negotiated, extra http.Header) []byte {
	dst = append(dst, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	dst = append(dst, accept[:]...)
	dst = append(dst, "\r\n"...)
	if n.protocol != "" {
		dst = append(dst, "Sec-WebSocket-Protocol: "...)
		dst = append(dst, n.protocol...)
		dst = append(dst, "\r\n"...)
	}
	if n.extensions != "" {
		dst = append(dst, "Sec-WebSocket-Extensions: "...)
		dst = append(dst, n.extensions...)
		dst = append(dst, "\r\n"...)
	}
	for name, values := range extra {
		for _, v := range values {
			dst = appendHeaderLine(dst, name, v)
		}
	}
	return append(dst, "\r\n"...)
}

// appendHeaderLine appends "name: value\r\n", dropping CR and LF from the
// value so that no header can be smuggled in.
func appendHeaderLine(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	for i := 0; i < len(value); i++ {
		if c := value[i]; c != '\r' && c != '\n' {
			dst = append(dst, c)
		}
	}
	return append(dst, "\r\n"...)
}

// appendRejection appends a complete error response with a short body.
func appendRejection(dst []byte, r *rejection) []byte {
	dst = append(dst, "HTTP/1.1 "...)
	dst = append(dst, itoa(r.status)...)
	dst = append(dst, ' ')
	dst = append(dst, http.StatusText(r.status)...)
	dst = append(dst, "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: "...)
	dst = append(dst, r.connection()...)
	dst = append(dst, "\r\n"...)
	for _, h := range r.header {
		dst = appendHeaderLine(dst, h[0], h[1])
	}
	body := r.reason + "\n"
	dst = append(dst, "Content-Length: "...)
	dst = append(dst, itoa(len(body))...)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}
