package fastws

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// WebSockets over HTTP/2 (RFC 8441). A browser that sees a server's
// SETTINGS_ENABLE_CONNECT_PROTOCOL opens a WebSocket as a stream of the
// page's own HTTP/2 connection: an extended CONNECT request whose
// :protocol is "websocket", answered with 200, after which the stream's
// DATA frames carry the WebSocket frames both ways. Go's net/http server
// advertises the setting only when the process runs with
// GODEBUG=http2xconnect=1 (Go 1.26); it then hands such a request to the
// handler with r.Method CONNECT and r.Header[":protocol"].

// extendedConnect reports whether r opens a WebSocket on an HTTP/2 stream.
func extendedConnect(r *http.Request) bool {
	return r.ProtoMajor >= 2 && r.Method == http.MethodConnect && strings.EqualFold(r.Header.Get(":protocol"), "websocket")
}

// takeOverStream checks and answers an extended CONNECT as takeOver does
// an HTTP/1.1 upgrade (the same origin policy, subprotocol and extension
// negotiation, refusals with the same statuses), and returns the stream
// as the connection's transport.
func takeOverStream(w http.ResponseWriter, r *http.Request, opts *AcceptOptions) (io.ReadWriteCloser, *handshakeResult, error) {
	u := upgradeRequest{h2: true, protocol: len(opts.Subprotocols)}
	u.fromRequest(r, opts)
	neg, rej := u.settle(r, opts)
	if rej != nil {
		refuse(w, rej)
		return nil, nil, rej.err()
	}
	h := w.Header()
	if neg.protocol != "" {
		h.Set("Sec-WebSocket-Protocol", neg.protocol)
	}
	if neg.extensions != "" {
		h.Set("Sec-WebSocket-Extensions", neg.extensions)
	}
	for name, values := range opts.ResponseHeader {
		for _, v := range values {
			h.Add(name, v)
		}
	}
	w.WriteHeader(http.StatusOK)
	s := &h2Stream{resumableReader: newResumableReader(r.Body), w: w, rc: http.NewResponseController(w)}
	s.local, _ = r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if a, err := net.ResolveTCPAddr("tcp", r.RemoteAddr); err == nil { // numeric: no lookup
		s.remote = a
	}
	if err := s.rc.Flush(); err != nil {
		if errors.Is(err, http.ErrNotSupported) {
			err = fmt.Errorf("the ResponseWriter cannot flush (a wrapper must have an Unwrap method for http.ResponseController): %w", err)
		}
		return nil, nil, wrapError("fastws: Upgrade: answering the extended CONNECT", err)
	}
	return s, &handshakeResult{negotiated: neg}, nil
}

// h2Stream is an HTTP/2 stream as a WebSocket transport: the request body
// in, through a resumableReader (net/http's own read deadline on a body
// ends the stream for good, where Conn's must not), the response out
// (flushed at every write, so that a frame leaves when it is written),
// write deadlines through http.ResponseController (a write that times
// out resets the stream, which Conn's contract allows: the connection is
// closed).
type h2Stream struct {
	*resumableReader
	w  http.ResponseWriter
	rc *http.ResponseController

	local, remote net.Addr // the HTTP/2 connection's

	mu     sync.Mutex // serializes Write and Close on the ResponseWriter
	closed bool
}

func (s *h2Stream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, ErrClosed
	}
	n, err := s.w.Write(p)
	if err == nil {
		err = s.rc.Flush()
	}
	return n, err
}

// Close ends the WebSocket's use of the stream; the stream itself ends
// when the handler returns, which Conn.Done lets it wait for.
func (s *h2Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.resumableReader.Close()
}

func (s *h2Stream) SetWriteDeadline(t time.Time) error { return s.rc.SetWriteDeadline(t) }

func (s *h2Stream) LocalAddr() net.Addr  { return s.local }
func (s *h2Stream) RemoteAddr() net.Addr { return s.remote }
