//go:build !js

package fastws

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/internal/deflate"
)

// Dial opens a WebSocket connection to rawURL (ws:// or wss://; http://
// and https:// are accepted as synonyms) over TCP or TLS, directly or
// through an HTTP proxy (CONNECT), and performs the opening handshake
// within opts.HandshakeTimeout. opts may be nil.
//
// A wss:// WebSocket runs as a stream of an HTTP/2 connection (RFC 8441)
// when the server offers it, shared with the other WebSockets Dial opens
// to that server; opts.HTTP2 says when (HTTP2Auto, the default, HTTP2Off,
// HTTP2Only). Over HTTP/2 the accepting answer is a 200, not a 101, and
// the Conn's LocalAddr and RemoteAddr are the shared connection's.
//
// The response is returned whenever one was read, with its body (at most
// 4 KiB) already read. A server that answers with anything but a valid 101
// gives a *HandshakeError carrying its status, headers and body: a
// redirect (followed only with FollowRedirects) or a refusal. A 101 is
// checked: its Sec-WebSocket-Accept, Upgrade and Connection headers, and
// that the subprotocol and extensions it picked were offered.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	if opts == nil {
		opts = &defaultDialOptions
	}
	ctx, cancel := context.WithTimeout(ctx, opts.handshakeTimeout())
	defer cancel()
	u, err := parseWSURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	for hops := 0; ; hops++ {
		c, resp, err := dialOnce(ctx, u, opts)
		var he *HandshakeError
		if err == nil || !opts.FollowRedirects || hops == maxRedirects || !errors.As(err, &he) ||
			he.StatusCode < 300 || he.StatusCode > 399 || he.Header.Get("Location") == "" {
			return c, resp, err
		}
		next, perr := u.Parse(he.Header.Get("Location"))
		if perr != nil {
			return nil, resp, fmt.Errorf("fastws: bad redirect location: %w", perr)
		}
		nu, err := parseWSURL(next.String())
		if err != nil {
			return nil, resp, err
		}
		if u.Scheme == "wss" && nu.Scheme == "ws" {
			return nil, resp, fmt.Errorf("fastws: refusing a redirect from %s to %s: it would leave TLS", u.Redacted(), nu.Redacted())
		}
		if !strings.EqualFold(u.Hostname(), nu.Hostname()) {
			opts = withoutCredentials(opts)
		}
		u = nu
	}
}

// credentialHeaders are the request headers a redirect to another host
// does not carry: they were meant for the host the caller named (net/http
// drops the same ones). Host is dropped too: it named the first server.
var credentialHeaders = []string{"Authorization", "Www-Authenticate", "Cookie", "Cookie2", "Host"}

// withoutCredentials is opts with credentialHeaders removed from a copy of
// its Header.
func withoutCredentials(opts *DialOptions) *DialOptions {
	o := *opts
	o.Header = opts.Header.Clone()
	for _, k := range credentialHeaders {
		o.Header.Del(k)
	}
	return &o
}

// hostPort returns u's host with the scheme's default port when it has
// none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "wss" || u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

func dialOnce(ctx context.Context, u *url.URL, opts *DialOptions) (*Conn, *http.Response, error) {
	if u.Scheme == "wss" && opts.HTTP2 != HTTP2Off {
		return dialAnyHTTP(ctx, u, opts)
	}
	if opts.HTTP2 == HTTP2Only {
		return nil, nil, fmt.Errorf("fastws: Dial: HTTP/2 needs a wss:// URL (%s): h2c is not offered", u.Redacted())
	}
	netConn, err := dialTransport(ctx, u, opts, false)
	if err != nil {
		return nil, nil, err
	}
	return upgradeOn(ctx, netConn, u, opts)
}

// upgradeOn runs the HTTP/1.1 opening handshake on netConn, which it
// closes if the handshake fails.
func upgradeOn(ctx context.Context, netConn net.Conn, u *url.URL, opts *DialOptions) (*Conn, *http.Response, error) {
	// The context bounds the handshake: as a deadline, and by closing the
	// connection if it is cancelled.
	if d, ok := ctx.Deadline(); ok {
		_ = netConn.SetDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { netConn.Close() })
	c, resp, err := clientHandshake(netConn, u, opts)
	if !stop() || err != nil {
		netConn.Close()
		if err == nil || ctx.Err() != nil {
			err = fmt.Errorf("fastws: Dial: %w", errors.Join(ctx.Err(), err))
		}
		return nil, resp, err
	}
	_ = netConn.SetDeadline(time.Time{})
	return c, resp, nil
}

// dialTransport opens the connection the WebSocket will run over: TCP,
// through a proxy if one applies, then TLS for wss, offering h2 in ALPN
// when h2 is set.
func dialTransport(ctx context.Context, u *url.URL, opts *DialOptions, h2 bool) (net.Conn, error) {
	addr := hostPort(u)
	proxy := opts.Proxy
	if proxy == nil {
		proxy = http.ProxyFromEnvironment
	}
	reqURL := *u
	reqURL.Scheme = "http"
	if u.Scheme == "wss" {
		reqURL.Scheme = "https"
	}
	proxyURL, err := proxy(&http.Request{Method: http.MethodGet, URL: &reqURL, Header: http.Header{}})
	if err != nil {
		return nil, fmt.Errorf("fastws: Dial: choosing a proxy: %w", err)
	}
	var conn net.Conn
	if proxyURL != nil {
		conn, err = dialProxy(ctx, proxyURL, addr, opts)
	} else {
		conn, err = opts.netDial(ctx, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("fastws: Dial: %w", err)
	}
	if u.Scheme == "wss" {
		tc, err := tlsClient(ctx, conn, u.Hostname(), opts.TLSConfig, h2)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("fastws: Dial: TLS handshake: %w", err)
		}
		conn = tc
	}
	return conn, nil
}

// tlsClient runs the TLS handshake on conn. ALPN offers the config's
// NextProtos, or by default http/1.1 and, when h2 is set, h2 first;
// without h2, h2 is never offered: a server that picked it would not
// understand the HTTP/1.1 upgrade.
func tlsClient(ctx context.Context, conn net.Conn, host string, cfg *tls.Config, h2 bool) (*tls.Conn, error) {
	if cfg == nil {
		cfg = &tls.Config{}
	}
	cfg = cfg.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	switch {
	case len(cfg.NextProtos) == 0 && h2:
		cfg.NextProtos = []string{"h2", "http/1.1"}
	case len(cfg.NextProtos) == 0:
		cfg.NextProtos = []string{"http/1.1"}
	case !h2:
		cfg.NextProtos = slices.DeleteFunc(slices.Clone(cfg.NextProtos), func(p string) bool { return p == "h2" })
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	return tc, nil
}

// dialProxy opens a tunnel to addr through an HTTP(S) proxy with CONNECT.
func dialProxy(ctx context.Context, proxyURL *url.URL, addr string, opts *DialOptions) (net.Conn, error) {
	if proxyURL.Scheme != "http" && proxyURL.Scheme != "https" {
		return nil, fmt.Errorf("unsupported proxy scheme %q", proxyURL.Scheme)
	}
	conn, err := opts.netDial(ctx, hostPort(proxyURL))
	if err != nil {
		return nil, fmt.Errorf("connecting to proxy: %w", err)
	}
	fail := func(err error) (net.Conn, error) {
		conn.Close()
		return nil, err
	}
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	if proxyURL.Scheme == "https" {
		tc, err := tlsClient(ctx, conn, proxyURL.Hostname(), opts.TLSConfig, false)
		if err != nil {
			return fail(fmt.Errorf("TLS to proxy: %w", err))
		}
		conn = tc
	}
	var req strings.Builder
	req.WriteString("CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n")
	if user := proxyURL.User; user != nil {
		pass, _ := user.Password()
		cred := base64.StdEncoding.EncodeToString([]byte(user.Username() + ":" + pass))
		req.WriteString("Proxy-Authorization: Basic " + cred + "\r\n")
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		return fail(fmt.Errorf("writing CONNECT: %w", err))
	}
	buf := make([]byte, DefaultMaxResponseHeaderBytes)
	end, n, err := readHead(conn, buf)
	if err != nil {
		return fail(fmt.Errorf("reading the proxy's answer: %w", err))
	}
	head, err := parseResponseHead(buf[:end])
	if err != nil {
		return fail(fmt.Errorf("proxy: %w", err))
	}
	if head.status < 200 || head.status > 299 {
		return fail(&HandshakeError{StatusCode: head.status, Reason: "proxy refused CONNECT: " + head.reason, Header: head.header})
	}
	if n > end {
		return fail(errors.New("proxy sent data before the tunnel was used"))
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}

// reservedRequestHeaders are set by the handshake itself.
var reservedRequestHeaders = []string{"Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions", "Sec-Websocket-Protocol"}

// clientHandshake sends the upgrade request on conn and checks the answer.
func clientHandshake(conn net.Conn, u *url.URL, opts *DialOptions) (*Conn, *http.Response, error) {
	var raw [16]byte
	rand.Read(raw[:])
	key := base64.StdEncoding.EncodeToString(raw[:])

	req := make([]byte, 0, 512)
	req = append(req, "GET "...)
	req = append(req, u.RequestURI()...)
	req = append(req, " HTTP/1.1\r\n"...)
	host := u.Host
	if h := opts.Header.Get("Host"); h != "" {
		host = h
	}
	req = appendHeaderLine(req, "Host", host)
	req = append(req, "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"...)
	req = appendHeaderLine(req, "Sec-WebSocket-Key", key)
	deflateParams, err := offerFields(u, opts, func(name, value string) {
		req = appendHeaderLine(req, name, value)
	})
	if err != nil {
		return nil, nil, err
	}
	req = append(req, "\r\n"...)
	if _, err := conn.Write(req); err != nil {
		return nil, nil, fmt.Errorf("fastws: Dial: writing the request: %w", err)
	}

	buf := bufpool.Get(opts.maxResponseHeaderBytes())
	end, n, err := readHead(conn, *buf)
	if err != nil {
		bufpool.Put(buf)
		return nil, nil, fmt.Errorf("fastws: Dial: reading the response: %w", err)
	}
	head, err := parseResponseHead((*buf)[:end])
	if err != nil {
		bufpool.Put(buf)
		return nil, nil, fmt.Errorf("fastws: Dial: %w", err)
	}
	resp := &http.Response{
		Status:     strconv.Itoa(head.status) + " " + head.reason,
		StatusCode: head.status,
		Proto:      head.proto,
		ProtoMajor: 1,
		ProtoMinor: int(head.proto[7] - '0'),
		Header:     head.header,
		Body:       http.NoBody,
	}
	if head.status != http.StatusSwitchingProtocols {
		body := readErrorBody(conn, (*buf)[end:n], head.header)
		bufpool.Put(buf)
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		return nil, resp, &HandshakeError{
			StatusCode: head.status,
			Reason:     "server answered " + resp.Status,
			Header:     head.header,
			Body:       body,
		}
	}
	hs, err := checkSwitching(head, key, opts, deflateParams)
	if err != nil {
		bufpool.Put(buf)
		return nil, resp, err
	}
	hs.rbuf, hs.rpos, hs.rend = buf, end, n
	return newConn(conn, ClientSide, &opts.ConnOptions, &hs), resp, nil
}

// offerFields emits the request's fields that HTTP/1.1 and HTTP/2
// handshakes share: the subprotocol and extension offers, credentials
// from the URL, and the caller's headers (Host aside, which each
// handshake places itself).
func offerFields(u *url.URL, opts *DialOptions, emit func(name, value string)) (deflateOfferParams, error) {
	var deflateParams deflateOfferParams
	for name := range opts.Header {
		canon := http.CanonicalHeaderKey(name)
		if slices.Contains(reservedRequestHeaders, canon) || strings.HasPrefix(name, ":") {
			return deflateParams, fmt.Errorf("fastws: Dial: header %s is set by the handshake", name)
		}
	}
	if len(opts.Subprotocols) > 0 {
		emit("Sec-WebSocket-Protocol", strings.Join(opts.Subprotocols, ", "))
	}
	offers := opts.Extensions
	if opts.Compression != nil {
		var ext Extension
		ext, deflateParams.p = deflateOffer(opts.Compression)
		deflateParams.ok = true
		offers = append([]Extension{ext}, offers...)
	}
	if len(offers) > 0 {
		emit("Sec-WebSocket-Extensions", formatExtensions(offers))
	}
	if u.User != nil && opts.Header.Get("Authorization") == "" {
		pass, _ := u.User.Password()
		emit("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+pass)))
	}
	for name, values := range opts.Header {
		if http.CanonicalHeaderKey(name) == "Host" {
			continue
		}
		for _, v := range values {
			emit(name, v)
		}
	}
	return deflateParams, nil
}

// checkSwitching checks a 101 answer against the request.
func checkSwitching(head *responseHead, key string, opts *DialOptions, offer deflateOfferParams) (handshakeResult, error) {
	var hs handshakeResult
	bad := func(reason string) (handshakeResult, error) {
		return hs, &HandshakeError{StatusCode: head.status, Reason: reason, Header: head.header}
	}
	if !headerHasToken(head.header, "Upgrade", "websocket") {
		return bad("101 response without Upgrade: websocket")
	}
	if !headerHasToken(head.header, "Connection", "upgrade") {
		return bad("101 response without Connection: upgrade")
	}
	var want [28]byte
	acceptKey(&want, []byte(key))
	if got := head.header.Values("Sec-Websocket-Accept"); len(got) != 1 || got[0] != string(want[:]) {
		return bad("wrong Sec-WebSocket-Accept")
	}
	return checkAgreement(head.status, head.header, opts, offer)
}

// checkAgreement checks the subprotocol and extensions a server's
// accepting answer (HTTP/1.1's 101, HTTP/2's 200) picked against what was
// offered.
func checkAgreement(status int, header http.Header, opts *DialOptions, offer deflateOfferParams) (handshakeResult, error) {
	var hs handshakeResult
	bad := func(reason string) (handshakeResult, error) {
		return hs, &HandshakeError{StatusCode: status, Reason: reason, Header: header}
	}
	switch protos := header.Values("Sec-Websocket-Protocol"); len(protos) {
	case 0:
	case 1:
		offered := false
		for _, p := range opts.Subprotocols {
			offered = offered || p == protos[0]
		}
		if !offered {
			return bad("server selected a subprotocol that was not offered: " + protos[0])
		}
		hs.protocol = protos[0]
	default:
		return bad("server selected more than one subprotocol")
	}
	if values := header.Values("Sec-Websocket-Extensions"); len(values) > 0 {
		exts, err := ParseExtensions(strings.Join(values, ","))
		if err != nil {
			return bad(err.Error())
		}
		for _, e := range exts {
			if e.Name == deflate.Name && offer.ok {
				if hs.deflate != nil {
					return bad("server accepted permessage-deflate twice")
				}
				c, err := checkDeflate(e, offer.p, opts.Compression)
				if err != nil {
					return bad("server's permessage-deflate answer does not fit the offer: " + err.Error())
				}
				hs.deflate = c
				continue
			}
			found := false
			for _, o := range opts.Extensions {
				if o.Name == e.Name {
					found = true
					hs.rsv |= o.Rsv
				}
			}
			if !found {
				return bad("server accepted an extension that was not offered: " + e.Name)
			}
		}
		hs.extensions = strings.Join(values, ", ")
	}
	return hs, nil
}

// deflateOfferParams is the permessage-deflate offer a client made, if any.
type deflateOfferParams struct {
	p  deflate.Params
	ok bool
}

// readErrorBody reads at most maxErrorBody bytes of a refusal's body.
func readErrorBody(conn net.Conn, early []byte, h http.Header) []byte {
	var r io.Reader = io.MultiReader(bytes.NewReader(early), conn)
	if strings.EqualFold(h.Get("Transfer-Encoding"), "chunked") {
		r = httputil.NewChunkedReader(bufio.NewReader(r))
	} else if cl, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil {
		r = io.LimitReader(r, cl)
	}
	body, _ := io.ReadAll(io.LimitReader(r, maxErrorBody))
	return body
}
