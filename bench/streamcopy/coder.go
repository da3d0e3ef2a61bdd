package streamcopy

import (
	"context"
	"errors"
	"net/http"

	"github.com/coder/websocket"
)

// Coder sends through coder/websocket's NetConn of a client connection to
// the NetConn of a server connection, both websocket.MessageBinary, with
// the library's defaults (websocket.Dial; websocket.Accept under
// net/http). NetConn lifts the read limit itself.
func Coder() Transport {
	return Transport{Key: "coder", Name: "coder NetConn", Open: openCoder}
}

func openCoder(ctx context.Context) (*Ends, error) {
	ln, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	accepted := make(chan *websocket.Conn, 1)
	done := make(chan struct{}) // keeps the handler, and so the connection, alive
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return // Accept has answered
		}
		accepted <- c
		<-done
	})}
	go srv.Serve(ln)
	stop := func() {
		close(done)
		srv.Close()
	}
	client, _, err := websocket.Dial(ctx, "ws://"+ln.Addr().String(), &websocket.DialOptions{
		HTTPClient: &http.Client{Transport: &http.Transport{Proxy: nil}}, // direct
	})
	if err != nil {
		stop()
		return nil, err
	}
	var server *websocket.Conn
	select {
	case server = <-accepted:
	case <-ctx.Done():
		client.CloseNow()
		stop()
		return nil, errors.New("streamcopy: coder server did not accept")
	}
	send := websocket.NetConn(context.Background(), client, websocket.MessageBinary)
	recv := websocket.NetConn(context.Background(), server, websocket.MessageBinary)
	return &Ends{
		Send:      send,
		Recv:      recv,
		CloseSend: send.Close,
		send:      send,
		recv:      recv,
		release: func() {
			client.CloseNow()
			server.CloseNow()
			stop()
		},
	}, nil
}
