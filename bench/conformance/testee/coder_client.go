package testee

import (
	"context"

	"github.com/coder/websocket"
)

// CoderClient is a coder/websocket testee client as coder runs one against
// the Autobahn fuzzingserver (autobahn_test.go): it offers
// permessage-deflate with context takeover, echoes with Reader and Writer
// like wstest.EchoLoop, and raises the read limit to MaxMessageSize.
type CoderClient struct{}

// dial connects to url offering compression as coder's Autobahn run does.
func (CoderClient) dial(ctx context.Context, url string) (*websocket.Conn, error) {
	c, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{
		CompressionMode: websocket.CompressionContextTakeover,
	})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, &DialError{Err: err}
	}
	c.SetReadLimit(MaxMessageSize)
	return c, nil
}

// ReadText implements Client.
func (k CoderClient) ReadText(ctx context.Context, url string) (string, error) {
	c, err := k.dial(ctx, url)
	if err != nil {
		return "", err
	}
	defer c.CloseNow()
	_, msg, err := c.Read(ctx)
	if err != nil {
		return "", err
	}
	c.Close(websocket.StatusNormalClosure, "")
	return string(msg), nil
}

// Echo implements Client.
func (k CoderClient) Echo(ctx context.Context, url string) error {
	c, err := k.dial(ctx, url)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	return coderEcho(ctx, c)
}
