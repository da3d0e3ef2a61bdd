package fastws

import (
	"net/http"
	"strings"
)

// upgradeRequest is what the server checks in an opening handshake. Accept
// fills it from its own parser with slices of the request buffer; Upgrade
// fills it from an *http.Request.
type upgradeRequest struct {
	methodGET    bool
	http11       bool // HTTP/1.1 or later
	host         []byte
	hosts        int
	upgrade      bool // Upgrade lists "websocket"
	connection   bool // Connection lists "upgrade"
	key          []byte
	keys         int
	version      []byte
	versions     int
	origin       []byte
	origins      int
	protocol     int // index in AcceptOptions.Subprotocols of the best offer
	extensions   [8][]byte
	extLines     int
	headerTooBig bool
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
	rejectUpgrade    = &rejection{http.StatusUpgradeRequired, "Upgrade header must list websocket", [][2]string{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}}}
	rejectConnection = &rejection{http.StatusBadRequest, "Connection header must list upgrade", nil}
	rejectKey        = &rejection{http.StatusBadRequest, "Sec-WebSocket-Key must be base64 of 16 bytes, sent once", nil}
	rejectVersion    = &rejection{http.StatusUpgradeRequired, "Sec-WebSocket-Version must be 13", [][2]string{{"Sec-WebSocket-Version", "13"}}}
	rejectOrigin     = &rejection{http.StatusForbidden, "origin not allowed", nil}
	rejectExtensions = &rejection{http.StatusBadRequest, "malformed Sec-WebSocket-Extensions header", nil}
	rejectTooBig     = &rejection{http.StatusRequestHeaderFieldsTooLarge, "request header too large", nil}
	rejectMalformed  = &rejection{http.StatusBadRequest, "malformed HTTP request", nil}
)

func (r *rejection) err() *HandshakeError {
	return &HandshakeError{StatusCode: r.status, Reason: r.reason + " (answered " + itoa(r.status) + ")"}
}

// header records one request header line.
func (u *upgradeRequest) header(name, value []byte, opts *AcceptOptions) {
	switch {
	case equalFold(name, "Host"):
		u.host = value
		u.hosts++
	case equalFold(name, "Upgrade"):
		u.upgrade = u.upgrade || hasToken(value, "websocket")
	case equalFold(name, "Connection"):
		u.connection = u.connection || hasToken(value, "upgrade")
	case equalFold(name, "Sec-WebSocket-Key"):
		u.key = value
		u.keys++
	case equalFold(name, "Sec-WebSocket-Version"):
		u.version = value
		u.versions++
	case equalFold(name, "Origin"):
		u.origin = value
		u.origins++
	case equalFold(name, "Sec-WebSocket-Protocol"):
		u.protocol = rankSubprotocols(opts.Subprotocols, value, u.protocol)
	case equalFold(name, "Sec-WebSocket-Extensions"):
		if u.extLines < len(u.extensions) {
			u.extensions[u.extLines] = value
		}
		u.extLines++
	}
}

// check applies RFC 6455 section 4.2.1 and the origin policy.
func (u *upgradeRequest) check(opts *AcceptOptions) *rejection {
	switch {
	case u.headerTooBig:
		return rejectTooBig
	case !u.methodGET:
		return rejectMethod
	case !u.http11:
		return rejectProto
	case u.hosts != 1 || len(u.host) == 0:
		return rejectHost
	case !u.upgrade:
		return rejectUpgrade
	case !u.connection:
		return rejectConnection
	case u.versions != 1 || string(u.version) != "13":
		return rejectVersion
	case u.keys != 1 || !validKey(u.key):
		return rejectKey
	case u.extLines > len(u.extensions):
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

func (u *upgradeRequest) negotiate(opts *AcceptOptions) (negotiated, *rejection) {
	var n negotiated
	if u.protocol < len(opts.Subprotocols) {
		n.protocol = opts.Subprotocols[u.protocol]
	}
	if (opts.Extensions == nil && opts.Compression == nil) || u.extLines == 0 {
		return n, nil
	}
	var joined strings.Builder
	for i, v := range u.extensions[:u.extLines] {
		if i > 0 {
			joined.WriteByte(',')
		}
		joined.Write(v)
	}
	offered, err := ParseExtensions(joined.String())
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

// appendSwitching appends the 101 response.
func appendSwitching(dst []byte, key []byte, n *negotiated, extra http.Header) []byte {
	var accept [28]byte
	acceptKey(&accept, key)
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
	dst = append(dst, "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"...)
	for _, h := range r.header {
		dst = appendHeaderLine(dst, h[0], h[1])
	}
	body := r.reason + "\n"
	dst = append(dst, "Content-Length: "...)
	dst = append(dst, itoa(len(body))...)
	dst = append(dst, "\r\n\r\n"...)
	return append(dst, body...)
}
