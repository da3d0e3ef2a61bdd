package servers

import (
	"context"
	"fmt"
	"net"

	"github.com/fastws/fastws"
)

// serveFastws uses the raw Accept path (fastws's own handshake parser, no
// net/http) with a goroutine per connection and an AppendMessage loop.
// Compressed, it takes the zero CompressionOptions, fastws's defaults:
// level 1, context takeover both ways, 15-bit windows, messages under 128
// bytes sent uncompressed.
func serveFastws(ln net.Listener, o Options) error {
	return acceptFastws(ln, o, echoFastws)
}

// serveFastwsHandle is serveFastws with HandleMessages, which runs the
// echo from inside the connection's wait on Go's poller.
func serveFastwsHandle(ln net.Listener, o Options) error {
	return acceptFastws(ln, o, handleFastws)
}

// fastwsAcceptOptions are the handshake and connection options of every
// fastws server. A Limit of 0 is MaxMessageSize 0, fastws's default.
func fastwsAcceptOptions(o Options) fastws.AcceptOptions {
	opts := fastws.AcceptOptions{
		ConnOptions: fastws.ConnOptions{MaxMessageSize: o.Limit},
		CheckOrigin: func(string, string) bool { return true },
	}
	if o.Compress {
		opts.Compression = &fastws.CompressionOptions{}
	}
	return opts
}

// The compression options of the modes' servers.
var (
	noContextCompression = &fastws.CompressionOptions{ServerNoContextTakeover: true}
	window12Compression  = &fastws.CompressionOptions{ServerMaxWindowBits: 12}
)

// acceptFastwsMode is serveFastwsHandle with the compression options
// comp; o.Compress must be set. The modes read with HandleMessages, which
// keeps no message buffer while a connection waits, as gws's OnMessage
// hands its buffer back: the no-context-takeover row is the one compared
// with gws's default like for like, memory included.
func acceptFastwsMode(ln net.Listener, o Options, comp *fastws.CompressionOptions) error {
	if !o.Compress {
		return fmt.Errorf("servers: a compression mode's server needs compression on")
	}
	opts := fastwsAcceptOptions(o)
	opts.Compression = comp
	return acceptEach(ln, func(nc net.Conn) {
		c, err := fastws.Accept(nc, &opts)
		if err != nil {
			return
		}
		handleFastws(c)
	})
}

// acceptFastws serves each connection with serve.
func acceptFastws(ln net.Listener, o Options, serve func(*fastws.Conn)) error {
	opts := fastwsAcceptOptions(o)
	return acceptEach(ln, func(nc net.Conn) {
		c, err := fastws.Accept(nc, &opts)
		if err != nil {
			return // Accept has answered the client and closed nc
		}
		serve(c)
	})
}

// handleFastws echoes each message from HandleMessages' handler.
func handleFastws(c *fastws.Conn) {
	ctx := context.Background()
	_ = c.HandleMessages(ctx, func(typ fastws.MessageType, msg []byte) error {
		return c.WriteMessage(ctx, typ, msg)
	})
}

// echoFastws appends each message to one reused buffer, which makes the
// read free of allocation, and writes it back with its type.
func echoFastws(c *fastws.Conn) {
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
		buf = keep(msg)
	}
}
