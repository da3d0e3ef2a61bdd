package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
)

const serveAbout = `usage: fastws serve [flags]

The demo server: a chat at http://127.0.0.1:8080/ (open it in two tabs,
pick names and a room), its WebSocket at /chat, live statistics at
/stats, and an echo endpoint at /echo. Rooms are topics of the hub;
with -nats, several serve processes share their rooms through a NATS
server. It listens on 127.0.0.1 unless -addr says otherwise.

Examples:
  fastws serve
  fastws serve -addr 127.0.0.1:8081 -nats nats://127.0.0.1:4222
  echo '{"type":"join","room":"lobby","name":"ann"}' | fastws connect ws://127.0.0.1:8080/chat
`

func runServe(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("serve")
	var sf serverFlags
	sf.register(fs, "127.0.0.1:8080")
	var cfg chatConfig
	cfg.register(fs)
	if ok, code := parseFlags("serve", fs, args, serveAbout, stdout, stderr); !ok {
		return code
	}
	if cfg.rate < 0 || cfg.burst < 1 || cfg.presenceInterval <= 0 {
		fmt.Fprintln(stderr, "fastws serve: -rate must be 0 or more, -burst 1 or more, -presence-interval positive")
		return 2
	}
	ln, err := net.Listen("tcp", sf.addr)
	if err != nil {
		fmt.Fprintln(stderr, "fastws serve:", err)
		return 1
	}
	srv, err := newServeServer(&sf, cfg)
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "fastws serve:", err)
		return 1
	}
	fmt.Fprintf(stdout, "fastws serve: chat at http://%s/ (WebSocket ws://%[1]s/chat, echo at ws://%[1]s/echo)\n", ln.Addr())
	if cfg.natsURL != "" {
		fmt.Fprintf(stdout, "fastws serve: sharing rooms through %s as node %s\n", cfg.natsURL, srv.chat.node)
	}
	// Ctrl-C or SIGTERM: stop accepting, and close every WebSocket with
	// 1001 (going away) so that browsers see why and reconnect later.
	shutDown, stop := shutdownOnSignal(srv.Shutdown, 10*time.Second)
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		srv.Close()
		fmt.Fprintln(stderr, "fastws serve:", err)
		return 1
	}
	fmt.Fprintln(stdout, "fastws serve: shutting down")
	<-shutDown
	return 0
}

// demoServer is `fastws serve`'s http.Server: the chat page at /, the
// chat at /chat (chatService), its stats at /stats, and the echo
// endpoint at /echo that the conformance and interop tests use.
type demoServer struct {
	*http.Server
	live liveConns // the echo WebSockets
	chat *chatService
}

// Shutdown stops the HTTP server, then closes every WebSocket with 1001
// and waits (each within its close timeout) for their closing handshakes.
func (d *demoServer) Shutdown(ctx context.Context) error {
	err := d.Server.Shutdown(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { d.live.closeAll(fastws.CloseGoingAway, "server shutting down") })
	err = errors.Join(err, d.chat.Shutdown(ctx))
	wg.Wait()
	return err
}

// Close closes the listener and every connection at once.
func (d *demoServer) Close() error {
	err := d.Server.Close()
	d.live.closeNow()
	return errors.Join(err, d.chat.Close())
}

// newDemoServer is `fastws serve` with the chat's default settings, on
// its own (no NATS server).
func newDemoServer(sf *serverFlags) *demoServer {
	d, err := newServeServer(sf, defaultChatConfig())
	if err != nil {
		panic(err) // only joining a NATS server can fail
	}
	return d
}

// newServeServer is `fastws serve`, with the header bound and handshake
// timeout applied by net/http. With cfg.natsURL it first joins the other
// nodes through the NATS server.
func newServeServer(sf *serverFlags, cfg chatConfig) (*demoServer, error) {
	chat := newChatService(cfg, sf.compress)
	join := cfg.join
	if join == nil && cfg.natsURL != "" {
		join = func(h *hub.Hub, node string) (io.Closer, error) { return connectNATS(cfg.natsURL, h, node) }
	}
	var bridge io.Closer
	if join != nil {
		b, err := join(chat.hub, chat.node)
		if err != nil {
			return nil, err
		}
		bridge = b
	}
	chat.start(bridge)

	echoOpts := &fastws.AcceptOptions{
		// Same-origin only (the default): the demo page is served from here.
		ConnOptions: fastws.ConnOptions{MaxMessageSize: int64(sf.maxMessage)},
		Compression: compression(sf.compress),
	}
	d := &demoServer{chat: chat}
	live := &d.live
	mux := http.NewServeMux()
	handlePage(mux)
	mux.Handle("/chat", chat.srv)
	mux.HandleFunc("GET /stats", chat.serveStats)
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, echoOpts)
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
	return d, nil
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

// closeNow ends every registered connection at once, and refuses new
// ones.
func (l *liveConns) closeNow() {
	l.mu.Lock()
	l.closed = true
	conns := make([]*fastws.Conn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		c.CloseNow()
	}
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
