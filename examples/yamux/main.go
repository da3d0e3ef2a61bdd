// Yamux carries many logical streams over one WebSocket connection with
// github.com/hashicorp/yamux, a stream multiplexer. fastws.NewStream makes
// the connection the byte stream yamux runs on; each side then opens and
// accepts streams, which are net.Conns of their own. The server here echoes
// every stream it accepts.
//
// Run the server from the examples folder, then a client that opens
// several streams at once:
//
//	go run ./yamux
//	go run ./yamux -dial ws://127.0.0.1:8080/mux -streams 5
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"time"

	"github.com/fastws/fastws"
	"github.com/hashicorp/yamux"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	dial := flag.String("dial", "", "instead of serving, connect to the server at this URL")
	streams := flag.Int("streams", 5, "with -dial, how many streams to open at once")
	flag.Parse()

	// Ctrl-C shuts the server down, or stops the client.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *dial != "" {
		if err := echoStreams(ctx, *dial, *streams, os.Stdout); err != nil {
			log.Fatal(err)
		}
		return
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("yamux echo server on ws://%s/mux", ln.Addr())
	if err := run(ctx, ln); err != nil {
		log.Fatal(err)
	}
}

// run serves yamux sessions at /mux on ln until ctx ends, then closes
// them and returns once all are closed.
func run(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("/mux", handleMux)
	return serve(ctx, ln, mux)
}

// handleMux runs the server side of a yamux session on the connection and
// echoes each stream the client opens, until the client ends the session
// or the server shuts down.
func handleMux(w http.ResponseWriter, r *http.Request) {
	c, err := fastws.Upgrade(w, r, nil)
	if err != nil {
		log.Printf("yamux: %v", err) // Upgrade has already answered the client
		return
	}
	// yamux's framing is binary: a Binary stream sends each of its writes
	// as one binary message.
	sess, err := yamux.Server(fastws.NewStream(c, fastws.Binary, nil), nil)
	if err != nil {
		c.CloseNow() // a bad yamux configuration: nothing was said yet
		log.Printf("yamux: %v", err)
		return
	}
	var streams sync.WaitGroup
	for {
		st, err := sess.AcceptStreamWithContext(r.Context())
		if err != nil {
			break // the session is over, or the server is shutting down
		}
		streams.Go(func() {
			defer st.Close()
			// Echo until the client closes its side of the stream.
			if _, err := io.Copy(st, st); err != nil {
				log.Printf("yamux: stream: %v", err)
			}
		})
	}
	if r.Context().Err() != nil {
		// The server is shutting down (see serve). The session's reader
		// gets the client's answer and ends the session.
		if err := c.Close(fastws.CloseGoingAway, "server shutting down"); err != nil {
			log.Printf("yamux: %v", err)
		}
	}
	// Ends the streams still open, if any, and with them their echoes.
	if err := sess.Close(); err != nil {
		log.Printf("yamux: %v", err)
	}
	streams.Wait()
}

// dial connects to the server at url and starts the client side of a
// yamux session on the connection.
func dial(ctx context.Context, url string) (*yamux.Session, error) {
	c, _, err := fastws.Dial(ctx, url, nil)
	if err != nil {
		return nil, err
	}
	sess, err := yamux.Client(fastws.NewStream(c, fastws.Binary, nil), nil)
	if err != nil {
		c.CloseNow()
		return nil, err
	}
	return sess, nil
}

// echoStreams opens n streams over one connection to url at once, sends a
// different message on each, and checks that each comes back whole. It
// writes a line per stream to out.
func echoStreams(ctx context.Context, url string, n int, out io.Writer) error {
	if n < 1 {
		return errors.New("yamux: at least one stream is needed")
	}
	sess, err := dial(ctx, url)
	if err != nil {
		return err
	}
	defer sess.Close()
	// Stream reads and writes take no context: closing the session when
	// ctx ends unblocks them.
	stop := context.AfterFunc(ctx, func() { sess.Close() })
	defer stop()

	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = echoStream(sess, i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			_, err = fmt.Fprintf(out, "stream %d: %d bytes echoed\n", i, messageSize(i))
		}
		if err != nil {
			return fmt.Errorf("stream %d: %w", i, err)
		}
	}
	return sess.Close()
}

// messageSize is how long stream i's message is: each stream's is
// different.
func messageSize(i int) int { return 1000 + 100*i }

// echoStream sends a message on a new stream of sess and checks what the
// server echoes.
func echoStream(sess *yamux.Session, i int) error {
	st, err := sess.Open()
	if err != nil {
		return err
	}
	defer st.Close()
	msg := bytes.Repeat([]byte{byte(i)}, messageSize(i))
	// The server echoes as the message arrives, so a message larger than
	// the stream's window must be read while it is written: the write
	// goes on in its own goroutine.
	written := make(chan error, 1)
	go func() {
		_, err := st.Write(msg)
		written <- err
	}()
	got := make([]byte, len(msg))
	_, rerr := io.ReadFull(st, got)
	if rerr != nil {
		st.Close() // unblocks the write, if it is still going
	}
	if err := errors.Join(<-written, rerr); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("the echo differs from the message")
	}
	return nil
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
