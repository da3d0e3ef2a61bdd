package testee

import (
	"context"
	"time"

	"github.com/gorilla/websocket"
)

// GorillaClient is a gorilla/websocket testee client: the default dialer's
// settings, ReadMessage then WriteMessage, and the read limit raised to
// MaxMessageSize. gorilla has no context on a connection, so a case's
// deadline becomes the connection's read and write deadline.
type GorillaClient struct{}

// dial connects to url with gorilla's default dialer.
func (GorillaClient) dial(ctx context.Context, url string) (*websocket.Conn, error) {
	c, resp, err := websocket.DefaultDialer.DialContext(ctx, url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, &DialError{Err: err}
	}
	c.SetReadLimit(MaxMessageSize)
	if d, ok := ctx.Deadline(); ok {
		c.SetReadDeadline(d)
		c.SetWriteDeadline(d)
	}
	return c, nil
}

// ReadText implements Client.
func (g GorillaClient) ReadText(ctx context.Context, url string) (string, error) {
	c, err := g.dial(ctx, url)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_, msg, err := c.ReadMessage()
	if err != nil {
		return "", err
	}
	c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(closeTimeout))
	return string(msg), nil
}

// Echo implements Client.
func (g GorillaClient) Echo(ctx context.Context, url string) error {
	c, err := g.dial(ctx, url)
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		typ, msg, err := c.ReadMessage()
		if err != nil {
			return err
		}
		if err := c.WriteMessage(typ, msg); err != nil {
			return err
		}
	}
}
