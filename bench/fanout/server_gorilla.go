package fanout

import (
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// gorillaServer is gorilla/websocket in the pattern of its chat example
// (examples/chat: hub.go and client.go): a hub goroutine owns the set of
// clients and takes register, unregister and broadcast requests on
// channels; each client has a buffered send channel (256 messages) and a
// writePump goroutine that empties it; a client whose channel is full
// when a message comes is dropped (its channel closed, which makes its
// writePump send a close frame and end). The changes from the example:
//   - the message is a websocket.PreparedMessage made once by the
//     publisher's readPump (gorilla's encode-once type), and writePump
//     sends each as its own message with WritePreparedMessage; the
//     example joins the queued messages into one with newlines, which
//     would turn many messages into one;
//   - no keep-alive (the example pings every 54 s and drops a client
//     silent for 60 s): the other servers run none either;
//   - binary messages, a 1 MiB read limit.
type gorillaServer struct {
	up         websocket.Upgrader
	register   chan *gorillaClient
	unregister chan *gorillaClient
	broadcast  chan *websocket.PreparedMessage

	clients   atomic.Int64 // the hub's set, counted for the stats
	dropped   atomic.Int64 // clients dropped for a full channel
	published atomic.Int64
}

// gorillaClient is one subscriber, as the chat example's Client.
type gorillaClient struct {
	conn *websocket.Conn
	send chan *websocket.PreparedMessage
}

// The chat example's constants that this server keeps.
const (
	gorillaWriteWait = 10 * time.Second // time allowed to write a message
	gorillaSendQueue = 256              // the send channel's buffer
)

// newGorillaServer returns the server; compress turns on
// permessage-deflate (EnableCompression, which has every connection that
// negotiates it compress what it writes at gorilla's default level, 1).
func newGorillaServer(compress bool) *gorillaServer {
	s := &gorillaServer{
		// The example's buffer sizes; origin checks off, as every
		// server here.
		up: websocket.Upgrader{
			ReadBufferSize: 1024, WriteBufferSize: 1024,
			CheckOrigin:       func(*http.Request) bool { return true },
			EnableCompression: compress,
		},
		register:   make(chan *gorillaClient),
		unregister: make(chan *gorillaClient),
		broadcast:  make(chan *websocket.PreparedMessage),
	}
	go s.run()
	return s
}

// run is the example's Hub.run.
func (s *gorillaServer) run() {
	clients := make(map[*gorillaClient]bool)
	for {
		select {
		case c := <-s.register:
			clients[c] = true
		case c := <-s.unregister:
			if _, ok := clients[c]; ok {
				delete(clients, c)
				close(c.send)
			}
		case m := <-s.broadcast:
			for c := range clients {
				select {
				case c.send <- m:
				default:
					close(c.send)
					delete(clients, c)
					s.dropped.Add(1)
				}
			}
		}
		s.clients.Store(int64(len(clients)))
	}
}

func (s *gorillaServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade has answered
	}
	conn.SetReadLimit(maxMessage)
	if isPublisher(r.RequestURI) {
		s.readPump(conn, nil)
		return
	}
	c := &gorillaClient{conn: conn, send: make(chan *websocket.PreparedMessage, gorillaSendQueue)}
	s.register <- c
	go c.writePump()
	s.readPump(conn, c)
}

// readPump is the example's: read until the connection fails, and
// broadcast what arrives; then unregister the client. Subscribers send
// nothing, so for them it only waits for the end.
func (s *gorillaServer) readPump(conn *websocket.Conn, c *gorillaClient) {
	defer func() {
		if c != nil {
			s.unregister <- c
		}
		conn.Close()
	}()
	for {
		typ, msg, err := conn.ReadMessage()
		if err != nil {
			return
		}
		pm, err := websocket.NewPreparedMessage(typ, msg)
		if err != nil {
			return
		}
		s.published.Add(1)
		s.broadcast <- pm
	}
}

// writePump is the example's, one message per write.
func (c *gorillaClient) writePump() {
	defer c.conn.Close()
	for m := range c.send {
		_ = c.conn.SetWriteDeadline(time.Now().Add(gorillaWriteWait))
		if err := c.conn.WritePreparedMessage(m); err != nil {
			return
		}
	}
	// The hub closed the channel.
	_ = c.conn.SetWriteDeadline(time.Now().Add(gorillaWriteWait))
	_ = c.conn.WriteMessage(websocket.CloseMessage, []byte{})
}

func (s *gorillaServer) serve(ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

func (s *gorillaServer) stats(st *serverStats) {
	st.Subscribers = s.clients.Load()
	st.Published = s.published.Load()
	st.Dropped, st.DroppedUnit = s.dropped.Load(), "subscribers"
}
