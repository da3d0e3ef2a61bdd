package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// WebSockets over HTTP/2 (RFC 8441), the suite as the client
// (ServerConfig.HTTP2). Each case opens an HTTP/2 connection of its own
// and sends one extended CONNECT on it: cases run in parallel, and a
// connection each keeps them as independent as their TCP connections
// are over HTTP/1.1 (one case's flow control, resets or GOAWAY cannot
// touch another's). The stream is then the Session's net.Conn: the
// response body in, the request body out.
//
// net/http's Transport.RoundTrip refuses the :protocol pseudo-header (it
// checks header names before it knows the request goes over HTTP/2), but
// its HTTP/2 side, reached through Transport.TLSNextProto["h2"] with a
// TLS connection the suite dialled itself, sends it.

// h2Target is the testee server of an HTTP/2 run.
type h2Target struct {
	url  *url.URL // https://, the CONNECT's target
	addr string   // host:port
	tls  *tls.Config
}

// newH2Target checks the testee's URL for an HTTP/2 run.
func newH2Target(u *url.URL, conf *tls.Config) (*h2Target, error) {
	switch u.Scheme {
	case "wss", "https":
	default:
		// As browsers: no HTTP/2 without TLS.
		return nil, fmt.Errorf("conformance: an HTTP/2 run needs a wss:// URL (got %q)", u.Redacted())
	}
	if conf == nil {
		conf = &tls.Config{}
	}
	conf = conf.Clone()
	// http/1.1 too, so that a server without HTTP/2 picks it and the
	// failure says so, rather than ending the TLS handshake.
	conf.NextProtos = []string{"h2", "http/1.1"}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "443")
	}
	target := *u
	target.Scheme = "https"
	return &h2Target{url: &target, addr: addr, tls: conf}, nil
}

// dial opens a WebSocket on a new HTTP/2 connection, offering the given
// extensions: the dialFunc of an HTTP/2 run.
func (t *h2Target) dial(timeout time.Duration, offers []string) (net.Conn, *bufio.Reader, string, error) {
	header := http.Header{":protocol": {"websocket"}, "Sec-Websocket-Version": {"13"}}
	if len(offers) > 0 {
		header.Set("Sec-WebSocket-Extensions", strings.Join(offers, ", "))
	}
	c, resp, err := t.open(timeout, http.MethodConnect, header)
	if err != nil {
		return nil, nil, "", err
	}
	if resp.StatusCode/100 != 2 {
		c.Close()
		return nil, nil, "", fmt.Errorf("extended CONNECT refused: %s", resp.Status)
	}
	c.start()
	return c, bufio.NewReader(c), strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ", "), nil
}

// open sends one request on a new HTTP/2 connection and returns its
// answer with the stream, which the caller closes (and starts, to use it
// as a WebSocket). A CONNECT's request body stays open for the stream's
// life; other methods send none.
func (t *h2Target) open(timeout time.Duration, method string, header http.Header) (*h2Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	nc, err := (&tls.Dialer{Config: t.tls}).DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, nil, err
	}
	tc := nc.(*tls.Conn)
	if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
		tc.Close()
		return nil, nil, fmt.Errorf("the server did not pick h2 in ALPN (it picked %q)", p)
	}
	// A Transport per connection: TLSNextProto["h2"] adds the connection
	// to the Transport's HTTP/2 pool, from which RoundTrip takes any
	// connection to the host, so only a pool of one keeps a case's stream
	// on the case's connection. The pool never dials: when its connection
	// is gone, RoundTrip fails.
	tr := &http.Transport{ForceAttemptHTTP2: true, DisableCompression: true}
	tr.CloseIdleConnections() // sets up the HTTP/2 side, TLSNextProto["h2"]
	upgrade := tr.TLSNextProto["h2"]
	if upgrade == nil {
		tc.Close()
		return nil, nil, errors.New("net/http's HTTP/2 client is off (GODEBUG=http2client=0?)")
	}
	rt := upgrade(t.addr, tc)

	// The request's context is the stream's for as long as it lives, so
	// it cannot be the handshake's: a timer bounds the handshake instead.
	streamCtx, endStream := context.WithCancel(context.Background())
	c := &h2Conn{tc: tc, end: endStream}
	c.in, c.inPeer = net.Pipe()
	c.out, c.outPeer = net.Pipe()
	req := &http.Request{
		Method:     method,
		URL:        t.url,
		Proto:      "HTTP/2.0",
		ProtoMajor: 2,
		Header:     header,
		Host:       t.url.Host,
	}
	if method == http.MethodConnect {
		req.Body = c.outPeer // of unknown length: DATA frames until it ends
	}
	deadline, _ := ctx.Deadline()
	timer := time.AfterFunc(time.Until(deadline), endStream)
	resp, err := rt.RoundTrip(req.WithContext(streamCtx))
	if !timer.Stop() {
		err = errors.Join(fmt.Errorf("no answer within %v", timeout), err)
	}
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		c.Close()
		return nil, nil, err
	}
	c.body = resp.Body
	return c, resp, nil
}

// h2Conn is a WebSocket's HTTP/2 stream as the net.Conn a Session works
// on. Both directions go through a net.Pipe: the request body is the far
// end of one, read by net/http's HTTP/2 client into DATA frames; a
// goroutine copies the response body into the far end of the other.
// The pipes give the stream the deadlines of a net.Conn, which an
// HTTP/2 body lacks or (net/http's own) makes fatal: a Read or Write
// they cut short leaves the stream usable, as on TCP. (Sessions use
// none today; the handshake over HTTP/1.1 does, and so may a case.)
//
// The testee ending its stream (END_STREAM, the response body's EOF, or
// RST_STREAM) reads as the testee closing TCP: io.EOF. Close is the suite
// closing TCP: it ends the request body, cancels the request (which
// resets the stream if it is still open) and closes the case's
// connection.
type h2Conn struct {
	tc      *tls.Conn          // the case's own HTTP/2 connection
	end     context.CancelFunc // cancels the request, and with it the stream
	in      net.Conn           // what Read reads: the response body, copied
	inPeer  net.Conn
	out     net.Conn // what Write writes: the request body
	outPeer net.Conn
	body    io.ReadCloser // the response body, once the answer came

	once sync.Once
}

// start copies the response body into the pipe Read reads, until the
// testee ends the stream or the suite closes it.
func (c *h2Conn) start() {
	go func() {
		_, _ = io.Copy(c.inPeer, c.body)
		c.inPeer.Close() // Read sees io.EOF once what was copied is read
	}()
}

func (c *h2Conn) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *h2Conn) Write(p []byte) (int, error) { return c.out.Write(p) }

// Close ends the stream from the suite's side, as closing TCP would.
func (c *h2Conn) Close() error {
	c.once.Do(func() {
		c.out.Close() // the request body's EOF: END_STREAM, if it gets out in time
		c.in.Close()
		if c.body != nil {
			c.body.Close()
		}
		c.end()
		c.tc.Close()
	})
	return nil
}

func (c *h2Conn) LocalAddr() net.Addr  { return c.tc.LocalAddr() }
func (c *h2Conn) RemoteAddr() net.Addr { return c.tc.RemoteAddr() }

func (c *h2Conn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}
func (c *h2Conn) SetReadDeadline(t time.Time) error  { return c.in.SetReadDeadline(t) }
func (c *h2Conn) SetWriteDeadline(t time.Time) error { return c.out.SetWriteDeadline(t) }

// runServerCaseH2 plays case c over HTTP/2: a WebSocket case on an
// extended CONNECT stream, an opening-handshake case in its HTTP/2 form
// or as NOT APPLICABLE.
func runServerCaseH2(c *Case, t *h2Target, timeout time.Duration, scale float64) *Result {
	if c.Handshake != nil {
		return probeH2(c, t, handshakeTimeout(timeout, scale))
	}
	r := playServerCase(c, timeout, scale, t.dial)
	for _, n := range r.Observed.Notes {
		if strings.Contains(n, "TCP") {
			// The notes are written for TCP; say what they mean here.
			r.Observed.Notes = append([]string{"over HTTP/2, closing TCP in these notes is ending the WebSocket's stream (RFC 8441 section 5)"}, r.Observed.Notes...)
			break
		}
	}
	return r
}

// h2Probe is what an opening-handshake case works with over HTTP/2: it
// sends requests to the testee server, each on a new HTTP/2 connection.
type h2Probe struct {
	target  *h2Target
	timeout time.Duration // already scaled
}

// h2Answer is the testee's answer to a probe's request.
type h2Answer struct {
	*http.Response
	// reset is the error that ended the request when the testee answered
	// it with RST_STREAM (or GOAWAY, or by closing the connection) rather
	// than with a response; Response is then nil.
	reset error
}

// connect sends an extended CONNECT whose :protocol is protocol
// (websocket, unless a case breaks it) with Sec-WebSocket-Version 13 and
// the extra header fields, edited by edit when it is not nil. A request
// the testee accepts is closed at once.
func (p *h2Probe) connect(protocol string, extra http.Header, edit func(http.Header)) (h2Answer, error) {
	header := http.Header{":protocol": {protocol}, "Sec-Websocket-Version": {"13"}}
	for k, v := range extra {
		header[http.CanonicalHeaderKey(k)] = v
	}
	if edit != nil {
		edit(header)
	}
	return p.exchange(http.MethodConnect, header)
}

// exchange sends one request on a new HTTP/2 connection and returns the
// answer, its body read (at most 4 KiB) unless it is 2xx. A stream the
// testee reset is an answer (h2Answer.reset); an error is returned when
// the request could not be sent at all.
func (p *h2Probe) exchange(method string, header http.Header) (h2Answer, error) {
	c, resp, err := p.target.open(p.timeout, method, header)
	if err != nil {
		if streamEnded(err) {
			return h2Answer{reset: err}, nil
		}
		return h2Answer{}, err
	}
	defer c.Close()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body = io.NopCloser(strings.NewReader(string(body)))
	}
	return h2Answer{Response: resp}, nil
}

// streamEnded reports whether err says the testee ended the request
// without a response: net/http's HTTP/2 client has no exported error
// values for it, so its texts are matched.
func streamEnded(err error) bool {
	s := err.Error()
	for _, sign := range []string{"stream error", "RST_STREAM", "GOAWAY", "server sent GOAWAY", "connection reset", "EOF", "client connection lost"} {
		if strings.Contains(s, sign) {
			return true
		}
	}
	return false
}
