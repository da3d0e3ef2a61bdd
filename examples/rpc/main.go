// RPC runs net/rpc over a WebSocket. fastws.NewStream makes a connection
// a byte stream (a net.Conn), which is all net/rpc needs on either side;
// the service here is a small calculator.
//
// Run the server from the examples folder, then call it:
//
//	go run ./rpc
//	go run ./rpc -call ws://127.0.0.1:8080/rpc
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/rpc"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/fastws/fastws"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	call := flag.String("call", "", "instead of serving, call the server at this URL and print the results")
	flag.Parse()

	// Ctrl-C shuts the server down: every client gets 1001 (going away).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *call != "" {
		if err := callDemo(ctx, *call, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("rpc server on ws://%s/rpc", ln.Addr())
	if err := run(ctx, ln); err != nil {
		log.Fatal(err)
	}
}

// Calc is the service: net/rpc serves its exported methods of the form
// func (Calc) Name(args T1, reply *T2) error.
type Calc struct{}

// Args are the operands of a Calc call.
type Args struct {
	A, B int
}

// Add sets sum to a.A + a.B.
func (Calc) Add(a Args, sum *int) error {
	*sum = a.A + a.B
	return nil
}

// Div sets q to a.A / a.B. The error reaches the caller as the error of
// its call; the connection goes on.
func (Calc) Div(a Args, q *int) error {
	if a.B == 0 {
		return errors.New("division by zero")
	}
	*q = a.A / a.B
	return nil
}

// run serves Calc at /rpc on ln until ctx ends, then closes every
// connection and returns once all are closed.
func run(ctx context.Context, ln net.Listener) error {
	srv := rpc.NewServer()
	if err := srv.Register(Calc{}); err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/rpc", func(w http.ResponseWriter, r *http.Request) {
		handleRPC(w, r, srv)
	})
	return serve(ctx, ln, mux)
}

// handleRPC serves RPC calls on one connection until the client hangs up
// or the server shuts down.
func handleRPC(w http.ResponseWriter, r *http.Request, srv *rpc.Server) {
	c, err := fastws.Upgrade(w, r, nil)
	if err != nil {
		log.Printf("rpc: %v", err) // Upgrade has already answered the client
		return
	}
	// ServeConn returns when the stream ends (the client closed, or the
	// connection failed) and then closes the stream itself.
	done := make(chan struct{})
	go func() {
		srv.ServeConn(fastws.NewStream(c, fastws.Binary, nil))
		close(done)
	}()
	select {
	case <-done:
	case <-r.Context().Done():
		// The server is shutting down (see serve): the closing handshake
		// ends the stream, and with it ServeConn.
		if err := c.Close(fastws.CloseGoingAway, "server shutting down"); err != nil {
			log.Printf("rpc %v: %v", c.RemoteAddr(), err)
		}
		<-done
	}
}

// dial connects to an RPC server at url.
func dial(ctx context.Context, url string) (*rpc.Client, error) {
	c, _, err := fastws.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	return rpc.NewClient(fastws.NewStream(c, fastws.Binary, nil)), nil
}

// callDemo makes a few calls to the server at url and writes their results
// to out.
func callDemo(ctx context.Context, url string, out io.Writer) (err error) {
	client, err := dial(ctx, url)
	if err != nil {
		return err
	}
	defer func() {
		// Closes the stream with 1000 and waits for the server's answer.
		if cerr := client.Close(); err == nil {
			err = cerr
		}
	}()
	calls := []struct {
		method string
		args   Args
	}{
		{"Calc.Add", Args{2, 40}},
		{"Calc.Div", Args{84, 2}},
		{"Calc.Div", Args{1, 0}},
	}
	for _, c := range calls {
		result, err := call(ctx, client, c.method, c.args)
		var refused rpc.ServerError
		switch {
		case err == nil:
			_, err = fmt.Fprintf(out, "%s(%d, %d) = %d\n", c.method, c.args.A, c.args.B, result)
		case errors.As(err, &refused):
			// The service returned an error; the connection is fine.
			_, err = fmt.Fprintf(out, "%s(%d, %d): %v\n", c.method, c.args.A, c.args.B, refused)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// call calls method with args and returns its result, giving up when ctx
// ends: net/rpc's Call takes no context. A call given up on stays pending
// until the client is closed.
func call(ctx context.Context, client *rpc.Client, method string, args Args) (int, error) {
	var result int
	c := client.Go(method, args, &result, nil)
	select {
	case <-c.Done:
		return result, c.Error
	case <-ctx.Done():
		return 0, ctx.Err()
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
