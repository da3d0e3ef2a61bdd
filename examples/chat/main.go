// Chat is a broadcast chat server on net/http: every text message a client
// sends to /chat goes to every connected client, the sender included, as
// "guest N: message". The server also tells a client its name when it
// joins ("* welcome, guest N") and tells everyone when someone joins,
// leaves or is dropped ("* guest N joined", "* guest N left",
// "* guest N was dropped (too slow)").
//
// It shows one reading goroutine and one writing goroutine per connection,
// and a broadcaster that one slow client cannot hold up. Each client has a
// bounded queue of outgoing messages, emptied by its own writer goroutine,
// and the broadcaster never waits for a queue. The policy when a client's
// queue is full: that client is dropped at once (it leaves the set, so it
// costs the others nothing more) and closed with 1008 (policy violation).
// If a message to it was half written, the connection is cut instead,
// since a close frame cannot follow half a frame. A client that reads
// slowly but keeps up on average is never dropped: the queue (-queue)
// absorbs bursts.
//
// The broadcaster is written by hand here. A broadcast hub is planned for
// the fastws library, and this example will move onto it.
//
// Run it from the examples folder:
//
//	go run ./chat
//
// and join it from two or more terminals with the fastws command, which
// sends the lines you type and prints what arrives; from the repository's
// root:
//
//	go run ./cmd/fastws connect ws://127.0.0.1:8080/chat
package main

import (
	"context"
	"errors"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"time"

	"github.com/fastws/fastws"
)

const (
	// maxMessage bounds what one client may send: every queue may hold
	// a copy, so it bounds the memory a client can make others hold too.
	maxMessage = 64 << 10
	// closeTimeout bounds a closing handshake started by the server.
	closeTimeout = 5 * time.Second
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	var cfg config
	flag.IntVar(&cfg.queueLen, "queue", 64, "messages that may wait for a client before it is dropped")
	flag.DurationVar(&cfg.writeTimeout, "write-timeout", 10*time.Second, "time allowed for sending one message to a client")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("chat server on ws://%s/chat", ln.Addr())

	// Ctrl-C shuts the server down: every client gets 1001 (going away).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, ln, cfg); err != nil {
		log.Fatal(err)
	}
}

// config is what the flags set.
type config struct {
	queueLen     int           // outgoing messages a client may have waiting
	writeTimeout time.Duration // bound on sending one message to one client
}

// run serves the chat on ln until ctx ends, then closes every connection
// and returns once all are closed.
func run(ctx context.Context, ln net.Listener, cfg config) error {
	if cfg.queueLen < 1 || cfg.writeTimeout <= 0 {
		return errors.New("chat: the queue must hold a message and the write timeout be positive")
	}
	h := &hub{clients: make(map[*client]bool)}
	mux := http.NewServeMux()
	mux.HandleFunc("/chat", func(w http.ResponseWriter, r *http.Request) {
		handleChat(w, r, h, cfg)
	})
	return serve(ctx, ln, mux)
}

// A client is one connection in the chat.
type client struct {
	conn *fastws.Conn
	name string             // set by hub.join
	send chan []byte        // the bounded queue of outgoing messages
	stop context.CancelFunc // ends the client's reading and writing
	// dropped says the hub dropped the client for a full queue. It is
	// guarded by the hub's mutex.
	dropped bool
}

// hub is the set of clients, and the broadcaster.
type hub struct {
	mu      sync.Mutex
	clients map[*client]bool
	joined  int // how many have joined so far, for names
}

// join names c, tells it its name, tells the others, and adds it to the
// set.
func (h *hub) join(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.joined++
	c.name = "guest " + strconv.Itoa(h.joined)
	h.broadcastLocked([]byte("* " + c.name + " joined"))
	c.send <- []byte("* welcome, " + c.name) // the queue is new and empty
	h.clients[c] = true
}

// leave removes c from the set, if the hub has not dropped it already,
// and tells the others. It reports whether c had been dropped.
func (h *hub) leave(c *client) (dropped bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.clients, c)
	if c.dropped {
		h.broadcastLocked([]byte("* " + c.name + " was dropped (too slow)"))
	} else {
		h.broadcastLocked([]byte("* " + c.name + " left"))
	}
	return c.dropped
}

// broadcast queues msg for every client. msg must not be modified
// afterwards: all the queues share it.
func (h *hub) broadcast(msg []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broadcastLocked(msg)
}

// broadcastLocked queues msg for every client without ever waiting: a
// client whose queue is full is dropped. Holding the mutex while queueing
// gives every client the messages in the same order.
func (h *hub) broadcastLocked(msg []byte) {
	for c := range h.clients {
		select {
		case c.send <- msg:
		default:
			delete(h.clients, c)
			c.dropped = true
			c.stop() // its handler closes it with 1008
		}
	}
}

// errNotText is returned by readLoop for a binary message.
var errNotText = errors.New("chat: binary message")

// handleChat serves one client until it leaves, is dropped, or the server
// shuts down.
func handleChat(w http.ResponseWriter, r *http.Request, h *hub, cfg config) {
	conn, err := fastws.Upgrade(w, r, &fastws.AcceptOptions{
		ConnOptions: fastws.ConnOptions{MaxMessageSize: maxMessage, CloseTimeout: closeTimeout},
	})
	if err != nil {
		log.Printf("chat: %v", err) // Upgrade has already answered the client
		return
	}
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	c := &client{conn: conn, send: make(chan []byte, cfg.queueLen), stop: stop}
	h.join(c)

	written := make(chan error, 1)
	go func() {
		err := c.writeLoop(ctx, cfg.writeTimeout)
		stop() // a client that cannot be written to is done: end the read too
		written <- err
	}()
	err = c.readLoop(ctx, h)
	stop() // and a client that has gone needs no writer
	if werr := <-written; werr != nil && !errors.Is(werr, context.Canceled) {
		err = werr
	}
	dropped := h.leave(c)

	switch code := fastws.CloseStatus(err); {
	case r.Context().Err() != nil:
		closeConn(c, fastws.CloseGoingAway, "server shutting down")
	case dropped:
		closeConn(c, fastws.ClosePolicyViolation, "too slow: message queue full")
	case errors.Is(err, errNotText):
		closeConn(c, fastws.CloseUnsupportedData, "text messages only")
	case code == fastws.CloseNormal || code == fastws.CloseGoingAway:
		// The client said goodbye and fastws answered its close frame.
	default:
		// Another close code, a broken protocol (fastws has sent the
		// close code the RFC asks for) or a failed write (fastws has
		// closed the connection).
		log.Printf("chat: %s: %v", c.name, err)
	}
}

// readLoop broadcasts each message c sends until ctx ends or the
// connection does.
func (c *client) readLoop(ctx context.Context, h *hub) error {
	for {
		// Appending the message to the sender's name builds the line in
		// one new slice, which the queues then share: it must not be
		// reused for the next message.
		typ, line, err := c.conn.AppendMessage(ctx, []byte(c.name+": "))
		if err != nil {
			return err
		}
		if typ != fastws.Text {
			return errNotText
		}
		h.broadcast(line)
	}
}

// writeLoop sends what arrives in c's queue until ctx ends or a write
// fails. A write that times out closes the connection: the client has
// stopped reading.
func (c *client) writeLoop(ctx context.Context, timeout time.Duration) error {
	for {
		select {
		case msg := <-c.send:
			wctx, cancel := context.WithTimeout(ctx, timeout)
			err := c.conn.WriteMessage(wctx, fastws.Text, msg)
			cancel()
			if err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// closeConn performs the closing handshake with code and reason, within
// the connection's close timeout (5 s by default), and logs a failure.
func closeConn(c *client, code fastws.CloseCode, reason string) {
	if err := c.conn.Close(code, reason); err != nil {
		log.Printf("chat: %s: %v", c.name, err)
	}
}

// serve runs an HTTP server with h on ln until ctx ends, then shuts it
// down. http.Server.Shutdown neither closes nor waits for hijacked
// connections, which WebSockets are, so serve counts the handlers and waits
// for them itself. They end because every request's context derives from
// ctx (BaseContext).
func serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	var handlers sync.WaitGroup
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			handlers.Add(1)
			defer handlers.Done()
			h.ServeHTTP(w, r)
		}),
		BaseContext: func(net.Listener) context.Context { return ctx },
		// Upgrade leaves bounding slow handshakes to the server.
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err // the listener failed
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	<-served // http.ErrServerClosed, now that Shutdown has begun
	handlers.Wait()
	return err
}
