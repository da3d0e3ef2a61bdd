package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fastws/fastws"
)

//go:embed serve.html
var demoPage []byte

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fastws serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf serverFlags
	sf.register(fs, "127.0.0.1:8080")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", sf.addr)
	if err != nil {
		fmt.Fprintln(stderr, "fastws serve:", err)
		return 1
	}
	fmt.Fprintf(stdout, "fastws serve: open http://%s/ (echo at ws://%s/echo)\n", ln.Addr(), ln.Addr())
	srv := newDemoServer(&sf)
	// Ctrl-C or SIGTERM: stop accepting, and close every WebSocket with
	// 1001 (going away) so that browsers see why and reconnect later.
	shutDown, stop := shutdownOnSignal(srv.Shutdown, 10*time.Second)
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "fastws serve:", err)
		return 1
	}
	fmt.Fprintln(stdout, "fastws serve: shutting down")
	<-shutDown
	return 0
}

// demoServer is the demo's http.Server, with the WebSockets it serves.
type demoServer struct {
	*http.Server
	live liveConns
}

// Shutdown stops the HTTP server, then closes every WebSocket with 1001
// and waits (each within its close timeout) for their closing handshakes.
func (d *demoServer) Shutdown(ctx context.Context) error {
	err := d.Server.Shutdown(ctx)
	d.live.closeAll(fastws.CloseGoingAway, "server shutting down")
	return err
}

// newDemoServer is the demo: the page at / and the echo endpoint at /echo,
// with the header bound and handshake timeout applied by net/http.
func newDemoServer(sf *serverFlags) *demoServer {
	opts := &fastws.AcceptOptions{
		// Same-origin only (the default): the demo page is served from here.
		ConnOptions: fastws.ConnOptions{MaxMessageSize: int64(sf.maxMessage)},
		Compression: compression(sf.compress),
	}
	d := &demoServer{}
	live := &d.live
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(demoPage)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, opts)
		if err != nil {
			return // Upgrade answered the client
		}
		if !live.add(c) {
			c.Close(fastws.CloseGoingAway, "server shutting down")
			return
		}
		defer live.remove(c)
		echoConn(c)
	})
	d.Server = &http.Server{
		Handler: mux,
		// net/http allows MaxHeaderBytes plus 4096 bytes of slop before it
		// answers 431; subtract the slop so the bound is the one asked for.
		MaxHeaderBytes:    max(int(sf.maxHeader)-4096, 1),
		ReadHeaderTimeout: sf.handshakeTimeout,
		IdleTimeout:       2 * time.Minute,
	}
	return d
}

// liveConns are the open WebSockets of a server: net/http forgets a
// connection once it is hijacked, so Shutdown would leave them open.
type liveConns struct {
	mu     sync.Mutex
	conns  map[*fastws.Conn]struct{}
	closed bool
}

// add registers c, or reports false once closeAll has run.
func (l *liveConns) add(c *fastws.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return false
	}
	if l.conns == nil {
		l.conns = make(map[*fastws.Conn]struct{})
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *liveConns) remove(c *fastws.Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// closeAll closes every registered connection with code and reason, all at
// once, and returns when their closing handshakes are over (each bounded
// by its close timeout).
func (l *liveConns) closeAll(code fastws.CloseCode, reason string) {
	l.mu.Lock()
	l.closed = true
	conns := make([]*fastws.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() { c.Close(code, reason) })
	}
	wg.Wait()
}
