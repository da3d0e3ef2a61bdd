package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
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
	if err := newDemoServer(&sf).Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "fastws serve:", err)
		return 1
	}
	return 0
}

// newDemoServer is the demo: the page at / and the echo endpoint at /echo,
// with the header bound and handshake timeout applied by net/http.
func newDemoServer(sf *serverFlags) *http.Server {
	opts := &fastws.AcceptOptions{
		// Same-origin only (the default): the demo page is served from here.
		ConnOptions: fastws.ConnOptions{MaxMessageSize: int64(sf.maxMessage)},
		Compression: compression(sf.compress),
	}
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
		echoConn(c)
	})
	return &http.Server{
		Handler: mux,
		// net/http allows MaxHeaderBytes plus 4096 bytes of slop before it
		// answers 431; subtract the slop so the bound is the one asked for.
		MaxHeaderBytes:    max(int(sf.maxHeader)-4096, 1),
		ReadHeaderTimeout: sf.handshakeTimeout,
		IdleTimeout:       2 * time.Minute,
	}
}
