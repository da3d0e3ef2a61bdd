package streamcopy

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/fastws/fastws"
)

// Fastws sends through a client fastws.Stream to a server fastws.Stream,
// binary, with default connection options (fastws.Dial and fastws.Accept
// on a raw listener). maxFrame, when positive, is the sender's
// StreamOptions.MaxFrameSize.
func Fastws(maxFrame int) Transport {
	t := Transport{Key: "fastws", Name: "fastws Stream"}
	if maxFrame > 0 {
		t.Key = fmt.Sprintf("fastws-frame%d", maxFrame)
		t.Name = fmt.Sprintf("fastws Stream, MaxFrameSize %s", FormatBytes(int64(maxFrame)))
	}
	t.Open = func(ctx context.Context) (*Ends, error) { return openFastws(ctx, maxFrame) }
	return t
}

// direct makes Dial ignore any proxy of the environment.
func direct(*http.Request) (*url.URL, error) { return nil, nil }

func openFastws(ctx context.Context, maxFrame int) (*Ends, error) {
	ln, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	type result struct {
		c   *fastws.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			ch <- result{nil, err}
			return
		}
		c, err := fastws.Accept(nc, nil)
		ch <- result{c, err}
	}()
	client, _, err := fastws.Dial(ctx, "ws://"+ln.Addr().String(), &fastws.DialOptions{Proxy: direct})
	if err != nil {
		ln.Close() // unblocks the Accept
		<-ch
		return nil, err
	}
	srv := <-ch
	if srv.err != nil {
		client.CloseNow()
		return nil, srv.err
	}
	send := fastws.NewStream(client, fastws.Binary, &fastws.StreamOptions{MaxFrameSize: maxFrame})
	recv := fastws.NewStream(srv.c, fastws.Binary, nil)
	return &Ends{
		Send:      send,
		Recv:      recv,
		CloseSend: send.Close,
		send:      send,
		recv:      recv,
		release: func() {
			client.CloseNow()
			srv.c.CloseNow()
		},
	}, nil
}
