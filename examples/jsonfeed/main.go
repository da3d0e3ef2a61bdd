// Jsonfeed is a server that speaks JSON over WebSocket, one JSON value per
// text message. A client connected to /feed gets a tick every interval:
//
//	{"type":"tick","seq":1,"time":"2025-01-02T15:04:05.999999999Z"}
//
// and may send requests meanwhile, which are answered between the ticks:
//
//	{"op":"echo","data":{"any":"JSON"}}  ->  {"type":"echo","data":{"any":"JSON"}}
//	anything else                        ->  {"type":"error","error":"..."}
//
// It shows a connection written by two goroutines at once, the ticker and
// the request loop, whose messages fastws keeps whole, and JSON in and out
// of messages with encoding/json.
//
// Run it from the examples folder; the fastws command can talk to it, from
// the repository's root:
//
//	go run ./jsonfeed -interval 2s
//	go run ./cmd/fastws connect ws://127.0.0.1:8080/feed
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/fastws/fastws"
)

const (
	// maxRequest bounds what a client may send.
	maxRequest = 64 << 10
	// closeTimeout bounds a closing handshake started by the server.
	closeTimeout = 5 * time.Second
	// writeTimeout bounds sending one message: a client that stops
	// reading is cut off rather than holding a goroutine forever.
	writeTimeout = 10 * time.Second
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	interval := flag.Duration("interval", time.Second, "time between ticks")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("JSON feed on ws://%s/feed", ln.Addr())

	// Ctrl-C shuts the server down: every client gets 1001 (going away).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, ln, *interval); err != nil {
		log.Fatal(err)
	}
}

// tick is pushed to every client every interval.
type tick struct {
	Type string    `json:"type"` // "tick"
	Seq  int       `json:"seq"`  // 1 for a connection's first tick
	Time time.Time `json:"time"`
}

// request is what a client sends.
type request struct {
	Op   string          `json:"op"`
	Data json.RawMessage `json:"data"`
}

// response answers a request.
type response struct {
	Type  string          `json:"type"` // "echo" or "error"
	Data  json.RawMessage `json:"data,omitempty"`
	Error string          `json:"error,omitempty"`
}

// run serves the feed on ln until ctx ends, then closes every connection
// and returns once all are closed.
func run(ctx context.Context, ln net.Listener, interval time.Duration) error {
	if interval <= 0 {
		return errors.New("jsonfeed: the interval must be positive")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		handleFeed(w, r, interval)
	})
	return serve(ctx, ln, mux)
}

// handleFeed serves one client: ticks from one goroutine, answers from
// this one.
func handleFeed(w http.ResponseWriter, r *http.Request, interval time.Duration) {
	c, err := fastws.Upgrade(w, r, &fastws.AcceptOptions{
		ConnOptions: fastws.ConnOptions{MaxMessageSize: maxRequest, CloseTimeout: closeTimeout},
	})
	if err != nil {
		log.Printf("jsonfeed: %v", err) // Upgrade has already answered the client
		return
	}
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	ticked := make(chan error, 1)
	go func() {
		err := sendTicks(ctx, c, interval)
		stop() // a client that cannot be written to is done: end the read too
		ticked <- err
	}()
	err = answer(ctx, c)
	stop() // and a client that has gone needs no more ticks
	if terr := <-ticked; terr != nil && !errors.Is(terr, context.Canceled) {
		err = terr
	}

	switch code := fastws.CloseStatus(err); {
	case r.Context().Err() != nil:
		// The server is shutting down (see serve).
		if err := c.Close(fastws.CloseGoingAway, "server shutting down"); err != nil {
			log.Printf("jsonfeed %v: %v", c.RemoteAddr(), err)
		}
	case code == fastws.CloseNormal || code == fastws.CloseGoingAway:
		// The client said goodbye and fastws answered its close frame.
	default:
		// Another close code, a broken protocol (fastws has sent the
		// close code the RFC asks for) or a failed write (fastws has
		// closed the connection).
		log.Printf("jsonfeed %v: %v", c.RemoteAddr(), err)
	}
}

// sendTicks sends a tick every interval until ctx ends or a write fails.
func sendTicks(ctx context.Context, c *fastws.Conn, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for seq := 1; ; seq++ {
		select {
		case now := <-t.C:
			if err := writeJSON(ctx, c, tick{Type: "tick", Seq: seq, Time: now.UTC()}); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// answer reads requests and answers each until ctx ends or the connection
// does. A request that makes no sense gets an error response; the
// connection goes on.
func answer(ctx context.Context, c *fastws.Conn) error {
	var buf []byte
	for {
		_, msg, err := c.AppendMessage(ctx, buf[:0])
		if err != nil {
			return err
		}
		buf = msg
		var req request
		var resp response
		switch err := json.Unmarshal(msg, &req); {
		case err != nil:
			resp = response{Type: "error", Error: "bad request: " + err.Error()}
		case req.Op == "echo":
			resp = response{Type: "echo", Data: req.Data}
		default:
			resp = response{Type: "error", Error: fmt.Sprintf("unknown op %q", req.Op)}
		}
		if err := writeJSON(ctx, c, resp); err != nil {
			return err
		}
	}
}

// writeJSON sends v, JSON-encoded, as one text message.
func writeJSON(ctx context.Context, c *fastws.Conn, v any) error {
	msg, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return c.WriteMessage(ctx, fastws.Text, msg)
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
