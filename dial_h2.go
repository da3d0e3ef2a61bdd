//go:build !js

package fastws

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"time"
)

// HTTP2Mode says whether Dial may open a WebSocket as a stream of an
// HTTP/2 connection (RFC 8441).
type HTTP2Mode uint8

const (
	// HTTP2Auto offers h2 besides http/1.1 in the TLS handshake of a
	// wss:// Dial. A server that picks http/1.1 gets the HTTP/1.1 upgrade
	// on that connection, at no extra cost. A server that picks h2 and
	// advertises extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL) gets
	// the WebSocket as a stream; later Dials to it with the same
	// TLSConfig open their streams on the same connection while it has
	// room. A server that picks h2 without advertising it (a Go server
	// without GODEBUG=http2xconnect=1, nginx) costs a second TLS
	// connection, for HTTP/1.1, and is remembered for ten minutes so that
	// the Dials after it go straight to HTTP/1.1. ws:// URLs always use
	// HTTP/1.1: like browsers, Dial does not speak HTTP/2 without TLS.
	HTTP2Auto HTTP2Mode = iota

	// HTTP2Off always uses HTTP/1.1 and never offers h2.
	HTTP2Off

	// HTTP2Only fails the Dial unless the WebSocket runs over HTTP/2: a
	// ws:// URL, a server that does not pick h2 or does not advertise
	// extended CONNECT is an error.
	HTTP2Only
)

// refusedTTL is how long a host that picked h2 without extended CONNECT
// is dialled with HTTP/1.1 alone.
const refusedTTL = 10 * time.Minute

// ErrHTTP2Unavailable is what an HTTP2Only Dial returns (wrapped, with
// the reason) when the server does not pick h2 in ALPN or does not
// advertise extended CONNECT, or HTTP/2 is off in this process
// (GODEBUG=http2client=0).
var ErrHTTP2Unavailable = errors.New("the server does not offer WebSockets over HTTP/2")

// dialAnyHTTP opens a wss:// WebSocket over HTTP/2 where the server
// offers it and opts allow it, and over HTTP/1.1 otherwise.
func dialAnyHTTP(ctx context.Context, u *url.URL, opts *DialOptions) (*Conn, *http.Response, error) {
	only := opts.HTTP2 == HTTP2Only
	pool := h2PoolFor(opts)
	addr := hostPort(u)
	fallback := func(why error) (*Conn, *http.Response, error) {
		if only {
			if why == ErrHTTP2Unavailable {
				return nil, nil, fmt.Errorf("fastws: Dial: %s: %w", u.Redacted(), why)
			}
			return nil, nil, fmt.Errorf("fastws: Dial: %s: %w (%w)", u.Redacted(), ErrHTTP2Unavailable, why)
		}
		conn, err := dialTransport(ctx, u, opts, false)
		if err != nil {
			return nil, nil, err
		}
		return upgradeOn(ctx, conn, u, opts)
	}
	if !pool.available() || pool.refusedRecently(addr) {
		return fallback(ErrHTTP2Unavailable)
	}
	// A connection the pool already has.
	if rt := pool.roundTripper(); rt != nil {
		c, resp, err := openStream(ctx, rt, u, opts, nil)
		switch {
		case extendedConnectRefused(err):
			pool.refuse(addr)
			return fallback(err)
		case !noCachedConn(err):
			return c, resp, err
		}
	}
	// A new one, on which the server picks the protocol.
	conn, err := dialTransport(ctx, u, opts, true)
	if err != nil {
		return nil, nil, err
	}
	tc, _ := conn.(*tls.Conn)
	var proto string
	if tc != nil {
		proto = tc.ConnectionState().NegotiatedProtocol
	}
	if proto != "h2" {
		if only {
			conn.Close()
			return nil, nil, fmt.Errorf("fastws: Dial: %s: %w (ALPN chose %q)", u.Redacted(), ErrHTTP2Unavailable, proto)
		}
		return upgradeOn(ctx, conn, u, opts)
	}
	rt := pool.adopt(addr, tc)
	var own net.Conn
	if !pool.shared {
		own = tc
	}
	c, resp, err := openStream(ctx, rt, u, opts, own)
	switch {
	case extendedConnectRefused(err):
		pool.refuse(addr)
		if !pool.shared {
			tc.Close()
		}
		return fallback(err)
	case resp != nil:
		pool.keep(rt)
	}
	return c, resp, err
}

// openStream sends the extended CONNECT on rt and, when the server
// accepts it, returns the Conn over the stream. own, when set, is the
// connection the stream does not share, closed with it.
func openStream(ctx context.Context, rt http.RoundTripper, u *url.URL, opts *DialOptions, own net.Conn) (*Conn, *http.Response, error) {
	header := http.Header{":protocol": {"websocket"}, "Sec-Websocket-Version": {"13"}}
	offer, err := offerFields(u, opts, header.Add)
	if err != nil {
		return nil, nil, err
	}
	host := u.Host
	if h := opts.Header.Get("Host"); h != "" {
		host = h
	}
	// The request's context is the stream's for as long as it lives; the
	// handshake's context bounds only the handshake.
	streamCtx, endStream := context.WithCancel(context.WithoutCancel(ctx))
	var carrier net.Conn // the HTTP/2 connection the stream goes on
	streamCtx = httptrace.WithClientTrace(streamCtx, &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { carrier = info.Conn },
	})
	stop := context.AfterFunc(ctx, endStream)
	body, bodyWriter := io.Pipe()
	req := (&http.Request{
		Method:     http.MethodConnect,
		URL:        &url.URL{Scheme: "https", Host: u.Host, Path: u.Path, RawPath: u.RawPath, RawQuery: u.RawQuery},
		Proto:      "HTTP/2.0",
		ProtoMajor: 2,
		Header:     header,
		Body:       body,
		Host:       host,
	}).WithContext(streamCtx)
	resp, err := rt.RoundTrip(req)
	fail := func(err error) (*Conn, *http.Response, error) {
		endStream()
		bodyWriter.Close()
		if own != nil {
			own.Close()
		}
		return nil, resp, err
	}
	if !stop() {
		if resp != nil {
			resp.Body.Close()
		}
		return fail(fmt.Errorf("fastws: Dial: %w", errors.Join(ctx.Err(), err)))
	}
	if err != nil {
		if noCachedConn(err) || extendedConnectRefused(err) {
			return fail(err)
		}
		return fail(fmt.Errorf("fastws: Dial: HTTP/2: %w", err))
	}
	answer := *resp
	answer.Body = http.NoBody
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		answer.Body = io.NopCloser(strings.NewReader(string(b)))
		answer.ContentLength = int64(len(b))
		resp = &answer
		return fail(&HandshakeError{StatusCode: answer.StatusCode, Reason: "server answered " + answer.Status, Header: answer.Header, Body: b})
	}
	hs, err := checkAgreement(resp.StatusCode, resp.Header, opts, offer)
	if err != nil {
		resp.Body.Close()
		resp = &answer
		return fail(err)
	}
	s := &h2ClientStream{resumableReader: newResumableReader(resp.Body), w: bodyWriter, end: endStream, own: own}
	if carrier != nil {
		s.local, s.remote = carrier.LocalAddr(), carrier.RemoteAddr()
	}
	return newConn(s, ClientSide, &opts.ConnOptions, &hs), &answer, nil
}

// noCachedConn reports whether err says the pool had no HTTP/2
// connection to the host, by the method net/http itself looks for.
func noCachedConn(err error) bool {
	var nc interface{ IsHTTP2NoCachedConnError() }
	return err != nil && errors.As(err, &nc)
}

// extendedConnectRefused reports whether err says the server did not
// advertise extended CONNECT. net/http has no exported value for it, so
// its text is matched; TestDialHTTP2FallsBack fails if Go changes it.
func extendedConnectRefused(err error) bool {
	return err != nil && strings.Contains(err.Error(), "extended connect not supported")
}
