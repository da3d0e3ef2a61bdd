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
func serveCoder(ln net.Listener) error {
	opts := &websocket.AcceptOptions{
		InsecureSkipVerify: true, // no origin check
		CompressionMode:    websocket.CompressionDisabled,
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
