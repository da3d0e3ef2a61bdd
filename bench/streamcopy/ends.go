package streamcopy

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// Ends is one fresh connection over loopback, ready for a copy from Send
// to Recv.
type Ends struct {
	Send io.Writer // the sending end
	Recv io.Reader // the receiving end

	// CloseSend ends the stream once everything is written: the receiver
	// then reads io.EOF.
	CloseSend func() error

	// send and recv are the two net.Conns, for deadlines.
	send, recv net.Conn

	release   func() // frees everything; called once by Close
	closeOnce sync.Once
}

// SetDeadline bounds the copy on both ends.
func (e *Ends) SetDeadline(t time.Time) error {
	if err := e.send.SetDeadline(t); err != nil {
		return err
	}
	return e.recv.SetDeadline(t)
}

// Close releases both ends and whatever served them; it may be called
// more than once.
func (e *Ends) Close() { e.closeOnce.Do(e.release) }

// Transport opens connections of one kind.
type Transport struct {
	Key  string // short name, as in the -transports flag
	Name string // for the report
	Open func(ctx context.Context) (*Ends, error)
}

// listenLoopback listens on an ephemeral port of 127.0.0.1.
func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// acceptOne accepts one connection of ln in a goroutine and hands it, or
// the error, to the channel.
func acceptOne(ln net.Listener) <-chan accepted {
	ch := make(chan accepted, 1)
	go func() {
		c, err := ln.Accept()
		ch <- accepted{c, err}
	}()
	return ch
}

type accepted struct {
	conn net.Conn
	err  error
}
