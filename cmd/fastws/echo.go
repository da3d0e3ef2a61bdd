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
	fs.Var(&f.maxMessage, "max-message", "largest message accepted (bytes, or with KiB/MiB/GiB)")
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

func runEcho(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fastws echo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var sf serverFlags
	sf.register(fs, "127.0.0.1:9001")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ln, err := net.Listen("tcp", sf.addr)
	if err != nil {
		fmt.Fprintln(stderr, "fastws echo:", err)
		return 1
	}
	fmt.Fprintf(stdout, "fastws echo: listening on ws://%s\n", ln.Addr())
	if err := serveEcho(ln, echoOptions(&sf)); err != nil {
		fmt.Fprintln(stderr, "fastws echo:", err)
		return 1
	}
	return 0
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

// serveEcho accepts connections on ln until it is closed, each with the
// raw Accept path and its own goroutine.
func serveEcho(ln net.Listener, opts *fastws.AcceptOptions) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		go func() {
			c, err := fastws.Accept(nc, opts)
			if err != nil {
				return // Accept answered the client and closed the connection
			}
			echoConn(c)
		}()
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
