package servers

import (
	"context"
	"net"
	"net/http"

	"github.com/coder/websocket"
)

// serveCoder uses net/http and coder/websocket's Accept. Reader into a
// reused buffer avoids the allocation of Read; Write sends the message as
// one frame, where a streaming Writer could split it.
//
// Compressed, CompressionContextTakeover. coder's default mode is
// CompressionDisabled ("do not enable compression without benchmarking");
// of its two compressing modes this is the one its documentation argues
// for ("as most WebSocket protocols are text based and repetitive, this
// compression mode can be very efficient"), and the counterpart of
// fastws's default. Its other defaults stand: stdlib compress/flate at
// level 1 (BestSpeed), a threshold of 128 bytes in this mode.
func serveCoder(ln net.Listener, compress bool) error {
	mode := websocket.CompressionDisabled
	if compress {
		mode = websocket.CompressionContextTakeover
	}
	opts := &websocket.AcceptOptions{
		InsecureSkipVerify: true, // no origin check
		CompressionMode:    mode,
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return // Accept has written the error response
		}
		defer c.CloseNow()
		c.SetReadLimit(MaxMessageSize)
		ctx := context.Background()
		var buf []byte
		for {
			typ, rd, err := c.Reader(ctx)
			if err != nil {
				return
			}
			msg, err := readAppend(rd, buf)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, msg); err != nil {
				return
			}
			buf = keep(msg)
		}
	})
	return serveHTTP(ln, handler)
}
