package streamcopy

import (
	"context"
	"errors"
	"net"
)

// TCP is the baseline: a net.TCPConn written by the sender and another
// read by the receiver, as the kernel gives them (io.Copy uses their
// ReadFrom and WriteTo, which for these sources and sinks copy through a
// 32 KiB buffer as io.Copy does).
func TCP() Transport {
	return Transport{Key: "tcp", Name: "raw TCP", Open: openTCP}
}

func openTCP(ctx context.Context) (*Ends, error) {
	ln, err := listenLoopback()
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	ch := acceptOne(ln)
	var d net.Dialer
	client, err := d.DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return nil, err
	}
	a := <-ch
	if a.err != nil {
		client.Close()
		return nil, a.err
	}
	tc, ok := client.(*net.TCPConn)
	if !ok {
		client.Close()
		a.conn.Close()
		return nil, errors.New("streamcopy: dialled connection is not TCP")
	}
	return &Ends{
		Send:      tc,
		Recv:      a.conn,
		CloseSend: tc.CloseWrite,
		send:      tc,
		recv:      a.conn,
		release: func() {
			tc.Close()
			a.conn.Close()
		},
	}, nil
}
