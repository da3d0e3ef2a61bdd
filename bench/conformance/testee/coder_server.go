package testee

import (
	"context"
	"io"
	"net/http"

	"github.com/coder/websocket"
)

// CoderServer is a coder/websocket echo server shaped like coder's own
// test echo loop (wstest.EchoLoop): each message is copied from Reader to
// Writer as it arrives. Any origin is accepted and the read limit is
// raised from 32 KiB to MaxMessageSize. coder/websocket does not check the
// UTF-8 of text messages, and this server adds no check of its own.
func CoderServer() http.Handler {
	opts := &websocket.AcceptOptions{InsecureSkipVerify: true}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, opts)
		if err != nil {
			return // Accept has answered with an HTTP error
		}
		defer c.CloseNow()
		c.SetReadLimit(MaxMessageSize)
		coderEcho(r.Context(), c)
	})
}

// coderEcho copies every message from c back to c, with its type, until
// the connection ends or ctx is done.
func coderEcho(ctx context.Context, c *websocket.Conn) error {
	for {
		typ, r, err := c.Reader(ctx)
		if err != nil {
			return err
		}
		w, err := c.Writer(ctx, typ)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
}
