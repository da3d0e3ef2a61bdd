// Echo is a WebSocket echo server on net/http: every message a client
// sends at /echo comes back to it unchanged, text as text and binary as
// binary. It shows fastws.Upgrade, a read loop that reuses one buffer, and
// what to do with each way a connection can end, including the server's
// own shutdown.
//
// Run it from the examples folder, and talk to it with the client example:
//
//	go run ./echo
//	go run ./client -url ws://127.0.0.1:8080/echo hello world
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/fastws/fastws"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("echo server on ws://%s/echo", ln.Addr())

	// Ctrl-C shuts the server down: every client gets 1001 (going away).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, ln); err != nil {
		log.Fatal(err)
	}
}

// run serves the echo endpoint on ln until ctx ends, then closes every
// connection and returns once all are closed.
func run(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", handleEcho)
	return serve(ctx, ln, mux)
}

// handleEcho upgrades the request and echoes messages until the
// connection ends.
func handleEcho(w http.ResponseWriter, r *http.Request) {
	// nil options: same-origin browser pages and non-browser clients only,
	// messages of up to 16 MiB.
	c, err := fastws.Upgrade(w, r, nil)
	if err != nil {
		log.Printf("echo: %v", err) // Upgrade has already answered the client
		return
	}
	err = echo(r.Context(), c)
	switch code := fastws.CloseStatus(err); {
	case code == fastws.CloseNormal || code == fastws.CloseGoingAway:
		// The client said goodbye and fastws answered its close frame:
		// the connection is closed, nothing is left to do.
	case r.Context().Err() != nil:
		// The server is shutting down (see serve).
		closeConn(c, fastws.CloseGoingAway, "server shutting down")
	default:
		// Any other close code, a broken protocol (fastws has sent the
		// close code the RFC asks for), or a failed write (fastws has
		// closed the connection): worth a line in the log, no more.
		log.Printf("echo %v: %v", c.RemoteAddr(), err)
	}
}

// echo sends every message back, reading each into the memory of the one
// before: the buffer grows to the largest message and then stops
// allocating.
func echo(ctx context.Context, c *fastws.Conn) error {
	var buf []byte
	for {
		typ, msg, err := c.AppendMessage(ctx, buf[:0])
		if err != nil {
			return err
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			return err
		}
		buf = msg
	}
}

// closeConn performs the closing handshake with code and reason, within
// the connection's close timeout (5 s by default), and logs a failure.
func closeConn(c *fastws.Conn, code fastws.CloseCode, reason string) {
	if err := c.Close(code, reason); err != nil {
		log.Printf("echo %v: %v", c.RemoteAddr(), err)
	}
}

// serve runs an HTTP server with h on ln until ctx ends, then shuts it
// down. http.Server.Shutdown neither closes nor waits for hijacked
// connections, which WebSockets are, so serve counts the handlers and waits
// for them itself. They end because every request's context derives from
// ctx (BaseContext): a handler blocked in a read sees ctx end.
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
