package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// start runs the server on a free loopback port and returns the URL of
// its endpoint. stop shuts it down and returns run's result; the test's
// cleanup calls it too.
func start(t *testing.T) (url string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln) }()
	stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(20 * time.Second):
			return errors.New("the server did not stop")
		}
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	return "ws://" + ln.Addr().String() + "/mux", stop
}

// A hundred streams at once over one WebSocket, each with a message of its
// own size and bytes, each echoed whole.
func TestYamuxStreams(t *testing.T) {
	url, _ := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const n = 100
	var out strings.Builder
	if err := echoStreams(ctx, url, n, &out); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := range n {
		fmt.Fprintf(&want, "stream %d: %d bytes echoed\n", i, 1000+100*i)
	}
	if out.String() != want.String() {
		t.Fatalf("printed:\n%s\nwant:\n%s", out.String(), want.String())
	}
}

// A server shutting down ends the sessions of its clients.
func TestYamuxShutdown(t *testing.T) {
	url, stop := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	// A stream first, so that the server's session is running.
	if err := echoStream(sess, 1); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	select {
	case <-sess.CloseChan():
	case <-ctx.Done():
		t.Fatal("the client's session is still open")
	}
}
