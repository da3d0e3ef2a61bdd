package fastws

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Dial opens a WebSocket connection to rawURL (ws:// or wss://; http://
// and https:// are accepted as synonyms) with the browser's WebSocket API,
// offering opts.Subprotocols, and waits for the opening handshake within
// opts.HandshakeTimeout. opts may be nil. This is the js/wasm build's
// Dial; the response is never available to a page, so it is always nil.
//
// The browser makes the connection: the proxy, TLS, HTTP/1.1 or HTTP/2,
// the request's headers (Origin and cookies included) and
// permessage-deflate are its choices. The DialOptions that would
// override them (Header, Compression, Extensions, TLSConfig, HTTP2 other
// than HTTP2Auto, Proxy, NetDial, FollowRedirects) make Dial fail with an
// error for which errors.Is(err, errors.ErrUnsupported) holds.
// Conn.Subprotocol and Conn.Extensions report the browser's protocol and
// extensions properties.
//
// The Conn has the message API of every Conn, with its limits, UTF-8
// checks, contexts and deadlines: ReadMessage, AppendMessage,
// WriteMessage, NextReader, NextWriter, HandleMessages, WritePrepared,
// Close and CloseNow, and NewStream on top. What the browser's API cannot
// express is refused the same way: ReadFrame and WriteFrame (a page sees
// messages, never frames), Ping (the browser answers the server's pings
// and sends none; OnPing and OnPong are never called), and close codes
// other than 1000 and 3000-4999 (the connection is then closed without a
// code; the Conn's own failures, 1002 or 1009, close it so too). A
// message from NextWriter leaves when its writer is closed, since the
// browser sends whole messages. Writes wait while the browser
// holds more than 1 MiB unsent (its bufferedAmount), as long as their
// context and the write deadline allow.
//
// CloseNow sends a close frame without a code, which the server reads as
// 1005: a page cannot drop a connection. The Conn has no LocalAddr or
// RemoteAddr: a page does not see them.
//
// A refused handshake, a network failure and a TLS failure look the same
// to a page: the browser gives no status and no reason (its console
// does), so the error cannot say which.
func Dial(ctx context.Context, rawURL string, opts *DialOptions) (*Conn, *http.Response, error) {
	if opts == nil {
		opts = &defaultDialOptions
	}
	if err := checkDialOptions(opts); err != nil {
		return nil, nil, err
	}
	u, err := browserURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("fastws: Dial: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.handshakeTimeout())
	defer cancel()
	s, err := openBrowserSocket(u, opts.Subprotocols)
	if err != nil {
		return nil, nil, fmt.Errorf("fastws: Dial: %w", err)
	}
	select {
	case <-s.opened:
	case <-s.ended:
		s.Close()
		return nil, nil, fmt.Errorf("fastws: Dial: the browser could not open the WebSocket to %s and does not say why (a refused handshake, a network or a TLS failure: the browser's console tells which)", redacted(u))
	case <-ctx.Done():
		s.Close()
		return nil, nil, fmt.Errorf("fastws: Dial: %s: %w", redacted(u), ctx.Err())
	}
	hs := handshakeResult{negotiated: negotiated{
		protocol:   jsString(s.ws.Get("protocol")),
		extensions: jsString(s.ws.Get("extensions")),
	}}
	return newConn(s, ClientSide, &opts.ConnOptions, &hs), nil, nil
}

// browserURL checks the scheme as the native Dial does and normalises it
// to ws or wss, which every browser takes.
func browserURL(raw string) (string, error) {
	u, err := parseWSURL(raw)
	if err != nil {
		return "", err
	}
	if u.Fragment != "" {
		return "", errors.New("fastws: Dial: a WebSocket URL may not have a fragment")
	}
	return u.String(), nil
}

// redacted is u without the password it may carry.
func redacted(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return u
}
