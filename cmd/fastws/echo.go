package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/fastws/fastws"
)

// serverFlags are the limits every server command shares.
type serverFlags struct {
	addr             string
	maxMessage       byteSize
	maxHeader        byteSize
	handshakeTimeout time.Duration
	compress         bool
}

func (f *serverFlags) register(fs *flag.FlagSet, addr string) {
	f.maxMessage = fastws.DefaultMaxMessageSize
	f.maxHeader = fastws.DefaultMaxHeaderBytes
	fs.StringVar(&f.addr, "addr", addr, "address to listen on")
	fs.Var(&f.maxMessage, "max-message", "largest message accepted, on /echo for serve (bytes, or with KiB/MiB/GiB)")
	fs.Var(&f.maxHeader, "max-header-bytes", "largest handshake request head; larger gets 431")
	fs.DurationVar(&f.handshakeTimeout, "handshake-timeout", fastws.DefaultHandshakeTimeout, "time allowed for a whole handshake")
	fs.BoolVar(&f.compress, "compress", true, "accept permessage-deflate")
}

// compression is the permessage-deflate setting for the flags: the
// library's defaults, or off.
func compression(on bool) *fastws.CompressionOptions {
	if !on {
		return nil
	}
	return &fastws.CompressionOptions{}
}

const echoAbout = `usage: fastws echo [flags]

Serves WebSocket echo on every path: each message comes back as it came,
text as text, binary as binary. It is the testee the conformance suites
(fastws conformance server, the Autobahn testsuite) and fastws bench
drive. It listens on 127.0.0.1 unless -addr says otherwise; SIGINT or
SIGTERM closes every connection with 1001 and exits 0.

Examples:
  fastws echo
  fastws echo -addr 127.0.0.1:9001 -driver goroutines -compress=false
  fastws echo & fastws bench ws://127.0.0.1:9001/
`

func runEcho(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("echo")
	var sf serverFlags
	sf.register(fs, "127.0.0.1:9001")
	driver := fs.String("driver", "auto", "how connections run: loops (epoll event loops, Linux), goroutines (one per connection), or auto (loops where they can run)")
	if ok, code := parseFlags("echo", fs, args, echoAbout, stdout, stderr); !ok {
		return code
	}
	d, ok := drivers[*driver]
	if !ok {
		fmt.Fprintf(stderr, "fastws echo: -driver %q: want auto, loops or goroutines\n", *driver)
		return 2
	}
	ln, err := net.Listen("tcp", sf.addr)
	if err != nil {
		fmt.Fprintln(stderr, "fastws echo:", err)
		return 1
	}
	srv := newEchoServer(&sf, d)
	fmt.Fprintf(stdout, "fastws echo: listening on ws://%s\n", ln.Addr())
	// Ctrl-C or SIGTERM: stop accepting, send every connection 1001
	// (going away) after what is queued for it, and wait for the closing
	// handshakes, at most a few seconds.
	shutDown, stop := shutdownOnSignal(srv.Shutdown, 5*time.Second)
	defer stop()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, fastws.ErrServerClosed) {
		fmt.Fprintln(stderr, "fastws echo:", err)
		return 1
	}
	fmt.Fprintln(stdout, "fastws echo: shutting down")
	<-shutDown
	return 0
}

// drivers are the values of -driver.
var drivers = map[string]fastws.Driver{
	"auto":       fastws.DriverAuto,
	"loops":      fastws.DriverLoops,
	"goroutines": fastws.DriverGoroutines,
}

// echoHandler sends every message back with its type. The closing
// handshake and protocol failures are the library's business; nothing is
// printed per message.
type echoHandler struct{}

func (echoHandler) OnOpen(*fastws.Session, *fastws.OpenRequest) {}

func (echoHandler) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	_ = s.WriteMessage(typ, msg)
}

func (echoHandler) OnClose(*fastws.Session, fastws.CloseEvent) {}

// newEchoServer is `fastws echo`'s server: the echo Handler with the
// flags' limits, on driver d.
func newEchoServer(sf *serverFlags, d fastws.Driver) *fastws.Server {
	return fastws.NewServer(echoHandler{}, &fastws.ServerOptions{AcceptOptions: *echoOptions(sf), Driver: d})
}

// echoOptions is how the echo servers accept: any origin (this is a test
// server, not a site with cookies to protect) and the flags' limits.
func echoOptions(sf *serverFlags) *fastws.AcceptOptions {
	return &fastws.AcceptOptions{
		ConnOptions:      fastws.ConnOptions{MaxMessageSize: int64(sf.maxMessage)},
		Compression:      compression(sf.compress),
		CheckOrigin:      func(string, string) bool { return true },
		HandshakeTimeout: sf.handshakeTimeout,
		MaxHeaderBytes:   int(sf.maxHeader),
	}
}

// echoConn sends every message back with its type until the connection
// ends. The closing handshake and protocol failures are the library's
// business; nothing is printed per message.
func echoConn(c *fastws.Conn) {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.AppendMessage(ctx, buf[:0])
		if err != nil {
			return
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			return
		}
		if cap(msg) <= 1<<20 {
			buf = msg // keep a modest buffer for the next message
		} else {
			buf = nil
		}
	}
}
