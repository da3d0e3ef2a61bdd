package fastws

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fastws/fastws/internal/bufpool"
)

// handshakeResult is what a finished handshake hands to the Conn: the
// negotiated settings and bytes already read past the handshake, which
// begin the WebSocket stream.
type handshakeResult struct {
	negotiated
	rbuf *[]byte // pooled buffer holding rbuf[rpos:rend] of stream bytes, or nil
	rpos int
	rend int
}

// Upgrade answers a WebSocket opening handshake received by a net/http
// server and takes over the connection (through http.ResponseController,
// so wrapped ResponseWriters work). It checks everything RFC 6455 section
// 4.2.1 asks (GET, HTTP/1.1, Upgrade and Connection tokens, a 16-byte key,
// version 13, which is otherwise answered with 426) and the origin policy
// of opts, which may be nil. A refused request gets a proper status and a
// short body, and the error is a *HandshakeError. Bytes the client sent
// after its request are kept as the start of the stream.
//
// Bounding request headers and slow handshakes is the http.Server's job
// here: set its MaxHeaderBytes and ReadHeaderTimeout.
//
// Upgrade also takes a WebSocket opened on an HTTP/2 stream (RFC 8441):
// an extended CONNECT whose :protocol is "websocket", with the same
// checks and negotiation, answered 200 (or the same refusal statuses).
// Over HTTP/2 the connection is the handler's stream: the handler must
// not return before the Conn is closed (wait on Conn.Done). Reads take a
// goroutine and 8 KiB per WebSocket, so that a read deadline leaves the
// stream usable; a write deadline that passes resets the stream.
//
// Turning HTTP/2 WebSockets on is the process's choice: Go 1.26's server
// advertises extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL) only in
// a process started with GODEBUG=http2xconnect=1; neither http.Server nor
// http.HTTP2Config has a knob for it yet, and a //go:debug line cannot
// set it. Go keeps it off because of the risk that comes with it: a
// browser that sees the setting opens every WebSocket to that origin as
// an extended CONNECT, so every route that serves WebSockets must go
// through Upgrade (or a Server's ServeHTTP), including those behind
// middleware that expects GET: route CONNECT as well as GET (with
// ServeMux patterns, "CONNECT /chat" beside "GET /chat", or no method).
// Two http.HTTP2Config fields matter here: MaxConcurrentStreams (250 by
// default) bounds the WebSockets one connection carries, and
// MaxReadFrameSize (1 MiB by default) sets the write buffer Go's HTTP/2
// client keeps per stream (the smaller of it and 512 KiB): 16 KiB keeps
// a Go client's memory per WebSocket at HTTP/1.1's (bench/results/h2-*).
//
// In the browser (js/wasm) Upgrade fails: a page cannot accept connections.
func Upgrade(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (*Conn, error) {
	if err := checkServerSide("Upgrade"); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &defaultAcceptOptions
	}
	if extendedConnect(r) {
		stream, hs, err := takeOverStream(w, r, opts)
		if err != nil {
			return nil, err
		}
		return newConn(stream, ServerSide, &opts.ConnOptions, hs), nil
	}
	netConn, hs, err := takeOver(w, r, opts)
	if err != nil {
		return nil, err
	}
	return newConn(netConn, ServerSide, &opts.ConnOptions, hs), nil
}

// fromRequest feeds u the host and header fields net/http parsed, as
// Accept's parser feeds them from the raw request.
func (u *upgradeRequest) fromRequest(r *http.Request, opts *AcceptOptions) {
	if r.Host != "" {
		u.host, u.hosts = []byte(r.Host), 1
	}
	for name, values := range r.Header {
		for _, v := range values {
			u.header([]byte(name), []byte(v), opts)
		}
	}
}

// takeOver checks and answers the request, hijacks its connection and
// returns it with what the handshake settled and the bytes that followed
// the request.
func takeOver(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (net.Conn, *handshakeResult, error) {
	u := upgradeRequest{
		methodGET: r.Method == http.MethodGet,
		http11:    r.ProtoAtLeast(1, 1),
		protocol:  len(opts.Subprotocols),
	}
	u.fromRequest(r, opts)
	neg, rej := u.settle(r, opts)
	if rej != nil {
		if rej.status == http.StatusUpgradeRequired {
			w.Header().Set("Connection", "Upgrade") // with the Upgrade header, RFC 9110 section 7.8
		}
		refuse(w, rej)
		return nil, nil, rej.err()
	}
	netConn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "websocket: cannot take over this connection", http.StatusInternalServerError)
		return nil, nil, fmt.Errorf("fastws: Upgrade: %w", err)
	}
	// The http.Server may have set deadlines for the request; the
	// WebSocket connection starts without any.
	_ = netConn.SetDeadline(time.Time{})
	hs := &handshakeResult{negotiated: neg}
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		hs.rbuf = bufpool.Get(max(n, opts.readBufferSize()))
		hs.rend = copy(*hs.rbuf, early)
	}
	resp := bufpool.Get(512)
	var accept [28]byte
	acceptKey(&accept, u.key)
	*resp = appendSwitching((*resp)[:0], &accept, &neg, opts.ResponseHeader)
	_, err = netConn.Write(*resp)
	bufpool.Put(resp)
	if err != nil {
		netConn.Close()
		bufpool.Put(hs.rbuf)
		return nil, nil, fmt.Errorf("fastws: Upgrade: writing the response: %w", err)
	}
	return netConn, hs, nil
}

// settle checks a request read by net/http and negotiates its terms.
func (u *upgradeRequest) settle(r *http.Request, opts *AcceptOptions) (negotiated, *rejection) {
	if u.wantsExtensions(opts) {
		u.extensions = strings.Join(r.Header.Values("Sec-WebSocket-Extensions"), ",")
	}
	if rej := u.check(opts); rej != nil {
		return negotiated{}, rej
	}
	return u.negotiate(opts)
}

// refuse answers a refused request through net/http.
func refuse(w http.ResponseWriter, rej *rejection) {
	for _, h := range rej.header {
		w.Header().Set(h[0], h[1])
	}
	http.Error(w, rej.reason, rej.status)
}

// Accept performs the server side of the opening handshake on a raw
// connection, with fastws's own request parser, which allocates nothing
// when the handshake succeeds. The request head may be at most
// MaxHeaderBytes (else 431) and must arrive, and the response leave, within
// HandshakeTimeout; checks and answers are those of Upgrade. opts may be
// nil.
//
// On failure Accept answers the client when it can, closes conn and
// returns the error (a *HandshakeError for a refused request). Bytes the
// client sent after its request are kept as the start of the stream.
//
// In the browser (js/wasm) Accept fails: a page cannot accept connections.
func Accept(conn net.Conn, opts *AcceptOptions) (*Conn, error) {
	if err := checkServerSide("Accept"); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &defaultAcceptOptions
	}
	// The deadline is set here rather than in acceptHandshake to keep
	// the deepest call chains of the handshake short (see checkRequest).
	_ = conn.SetDeadline(time.Now().Add(opts.handshakeTimeout()))
	c := allocConn(conn, ServerSide)
	var hs handshakeResult
	if err := c.acceptHandshake(opts, &hs); err != nil {
		conn.Close()
		return nil, err
	}
	_ = conn.SetDeadline(time.Time{})
	c.setup(&opts.ConnOptions, &hs)
	return c, nil
}

// acceptHandshake reads, checks and answers the request. It allocates
// nothing on success: the request is parsed in a pooled buffer, which then
// becomes the connection's read buffer with any bytes that followed it.
func (c *Conn) acceptHandshake(opts *AcceptOptions, hs *handshakeResult) error {
	buf := bufpool.Get(opts.maxHeaderBytes())
	end, n, err := readHead(transportReader{c}, *buf)
	tooBig := err == errHeadTooBig
	if err != nil && !tooBig {
		bufpool.Put(buf)
		return wrapError("fastws: reading the handshake request", err)
	}
	out := bufpool.Get(512)
	if tooBig {
		end = 0
	}
	key, rej := checkRequest(out, (*buf)[:end], tooBig, opts, &hs.negotiated)
	if rej == nil {
		var accept [28]byte
		acceptKey(&accept, key)
		*out = appendSwitching((*out)[:0], &accept, &hs.negotiated, opts.ResponseHeader)
	}
	err = c.write(*out, nil)
	bufpool.Put(out)
	switch {
	case rej != nil:
		bufpool.Put(buf)
		return rej.err()
	case err != nil:
		bufpool.Put(buf)
		return wrapError("fastws: writing the handshake response", err)
	}
	hs.rbuf, hs.rpos, hs.rend = buf, end, n
	return nil
}

// checkRequest parses and checks the request head. It returns the
// client's key, with what was negotiated in neg, or the refusal, which it
// puts in out.
//
// It is kept out of line so that the parsed request, over a hundred
// bytes, is off the stack by the time the key is hashed and the answer
// written: a connection's goroutine then never outgrows its first 2 KiB
// stack, which is most of what an idle connection costs (see sysConn).
//
//go:noinline
func checkRequest(out *[]byte, head []byte, tooBig bool, opts *AcceptOptions, neg *negotiated) ([]byte, *rejection) {
	u := upgradeRequest{headerTooBig: tooBig}
	var rej *rejection
	if !tooBig {
		u.protocol = len(opts.Subprotocols)
		rej = parseRequestHead(head, &u, opts)
	}
	if rej == nil {
		rej = u.check(opts)
	}
	if rej == nil && u.wantsExtensions(opts) {
		u.extensions = joinHeaderLines(head, "Sec-WebSocket-Extensions")
	}
	if rej == nil {
		*neg, rej = u.negotiate(opts)
	}
	if rej != nil {
		*neg = negotiated{}
		*out = appendRejection((*out)[:0], rej)
		return nil, rej
	}
	return u.key, nil
}

// parseRequestHead parses a request head (request line, header lines and
// the blank line) into u, calling the Accept callbacks.
func parseRequestHead(head []byte, u *upgradeRequest, opts *AcceptOptions) *rejection {
	line, rest, ok := nextLine(head)
	if !ok {
		return rejectMalformed
	}
	method, line, ok1 := bytes.Cut(line, []byte(" "))
	target, version, ok2 := bytes.Cut(line, []byte(" "))
	if !ok1 || !ok2 || len(method) == 0 || !validTarget(target) {
		return rejectMalformed
	}
	major, minor, ok := parseHTTPVersion(version)
	if !ok {
		return rejectMalformed
	}
	u.methodGET = string(method) == "GET"
	u.http11 = major > 1 || major == 1 && minor >= 1
	if opts.OnRequest != nil {
		if err := opts.OnRequest(target); err != nil {
			return callbackRejection(err)
		}
	}
	for {
		line, rest, ok = nextLine(rest)
		if !ok {
			return rejectMalformed
		}
		if len(line) == 0 {
			return nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			return rejectMalformed // obsolete line folding
		}
		name, value, ok := headerLine(line)
		if !ok {
			return rejectMalformed
		}
		u.header(name, value, opts)
		if opts.OnHeader != nil {
			if err := opts.OnHeader(name, value); err != nil {
				return callbackRejection(err)
			}
		}
	}
}

// joinHeaderLines returns the values of every header line called name in
// a request head that parseRequestHead accepted, joined by commas.
func joinHeaderLines(head []byte, name string) string {
	var b strings.Builder
	_, rest, _ := nextLine(head) // the request line
	for {
		line, next, ok := nextLine(rest)
		if !ok || len(line) == 0 {
			return b.String()
		}
		rest = next
		if n, v, ok := headerLine(line); ok && equalFold(n, name) {
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.Write(v)
		}
	}
}

// validTarget accepts the request-target forms a WebSocket request can
// take, as net/http parses them: origin-form ("/path?query") with every
// percent-escape of its path well formed, or absolute-form
// ("ws://host/path"), which is rare enough to be checked by net/url.
// Neither may hold a control character (a tab included), which net/url
// refuses anywhere in a URL.
func validTarget(t []byte) bool {
	if len(t) == 0 || bytes.IndexByte(t, '#') >= 0 {
		return false
	}
	for _, c := range t {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	if t[0] == '/' {
		path := t
		if q := bytes.IndexByte(t, '?'); q >= 0 {
			path = t[:q]
		}
		return validEscapes(path)
	}
	for _, scheme := range []string{"http://", "https://", "ws://", "wss://"} {
		if len(t) > len(scheme) && equalFold(t[:len(scheme)], scheme) {
			_, err := url.ParseRequestURI(string(t))
			return err == nil
		}
	}
	return false
}

// validEscapes reports whether every % in p starts an escape of two hex
// digits.
func validEscapes(p []byte) bool {
	for i := bytes.IndexByte(p, '%'); i >= 0; i = bytes.IndexByte(p, '%') {
		if i+2 >= len(p) || !isHex(p[i+1]) || !isHex(p[i+2]) {
			return false
		}
		p = p[i+3:]
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// callbackRejection turns an error from OnRequest or OnHeader into the
// answer: the status of a *HandshakeError, else 403.
func callbackRejection(err error) *rejection {
	var he *HandshakeError
	if errors.As(err, &he) && he.StatusCode >= 400 && he.StatusCode < 600 {
		return &rejection{status: he.StatusCode, reason: he.Reason}
	}
	return &rejection{status: http.StatusForbidden, reason: err.Error()}
}

// parseHTTPVersion parses "HTTP/x.y".
func parseHTTPVersion(v []byte) (major, minor int, ok bool) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' {
		return 0, 0, false
	}
	if v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}
