package fanout

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/lxzan/gws"
)

// gwsServer is gws.NewServer (its own handshake parser, a read goroutine
// per connection) with a subscriber set and gws's Broadcaster, as gws's
// README broadcasts: NewBroadcaster per message, Broadcast to each
// connection (the first call builds the frame, every call pushes a write
// of it on that connection's write queue, run by a goroutine of its
// own), then Close. The set is a slice with an index map under an
// RWMutex, the shape fastws's hub has, so that neither walks a map.
type gwsServer struct {
	gws.BuiltinEventHandler
	srv *gws.Server

	mu   sync.RWMutex
	subs []*gws.Conn
	at   map[*gws.Conn]int

	compress  bool
	published atomic.Int64
}

// gwsPublisherKey marks the publisher's connection in its gws session
// storage, set from the request by Authorize.
const gwsPublisherKey = "pub"

// newGwsServer returns the server; compress turns on permessage-deflate
// with gws's defaults (level 1, no server context takeover).
func newGwsServer(compress bool) *gwsServer {
	s := &gwsServer{at: make(map[*gws.Conn]int), compress: compress}
	s.srv = gws.NewServer(s, &gws.ServerOption{
		ReadMaxPayloadSize:  maxMessage,
		WriteMaxPayloadSize: maxMessage,
		PermessageDeflate:   gws.PermessageDeflate{Enabled: compress},
		Logger:              quietLogger{},
		Authorize: func(r *http.Request, ss gws.SessionStorage) bool {
			if isPublisher(r.URL.RequestURI()) {
				ss.Store(gwsPublisherKey, true)
			}
			return true
		},
	})
	s.srv.OnError = func(net.Conn, error) {}
	return s
}

// quietLogger drops gws's error log: every connection the bench resets
// at the end of a run would otherwise be logged.
type quietLogger struct{}

func (quietLogger) Error(...any) {}

func isGwsPublisher(c *gws.Conn) bool {
	_, ok := c.Session().Load(gwsPublisherKey)
	return ok
}

func (s *gwsServer) OnOpen(c *gws.Conn) {
	if isGwsPublisher(c) {
		return
	}
	s.mu.Lock()
	s.at[c] = len(s.subs)
	s.subs = append(s.subs, c)
	s.mu.Unlock()
}

func (s *gwsServer) OnClose(c *gws.Conn, _ error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.at[c]
	if !ok {
		return
	}
	last := len(s.subs) - 1
	s.subs[i] = s.subs[last]
	s.at[s.subs[i]] = i
	s.subs[last] = nil
	s.subs = s.subs[:last]
	delete(s.at, c)
}

func (s *gwsServer) OnMessage(c *gws.Conn, m *gws.Message) {
	// The message's buffer goes back to gws's pool after the loop:
	// the Broadcaster builds its frame from it in the first Broadcast
	// call, and with compression off its writes never read it again.
	// With compression on, each write adds the payload to the
	// connection's compression window (a no-op without context
	// takeover, but read all the same) on the connection's write
	// goroutine, after the loop: the Broadcaster gets a copy.
	defer m.Close()
	if !isGwsPublisher(c) {
		return
	}
	s.published.Add(1)
	payload := m.Bytes()
	if s.compress {
		payload = bytes.Clone(payload)
	}
	b := gws.NewBroadcaster(m.Opcode, payload)
	defer b.Close()
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sub := range s.subs {
		_ = b.Broadcast(sub)
	}
}

// parkOnClose keeps gws's accept loop, which retries every error, from
// spinning once its listener is closed (the tests close it).
type parkOnClose struct{ net.Listener }

func (l parkOnClose) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if errors.Is(err, net.ErrClosed) {
		select {}
	}
	return nc, err
}

func (s *gwsServer) serve(ln net.Listener) error { return s.srv.RunListener(parkOnClose{ln}) }

func (s *gwsServer) stats(st *serverStats) {
	s.mu.RLock()
	st.Subscribers = int64(len(s.subs))
	s.mu.RUnlock()
	st.Published = s.published.Load()
}
