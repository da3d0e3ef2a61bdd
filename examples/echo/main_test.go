package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
)

// start runs the server on a free loopback port. stop shuts it down and
// returns run's result; the test's cleanup calls it too.
func start(t *testing.T) (addr string, stop func() error) {
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
	return ln.Addr().String(), stop
}

// dial connects to the echo endpoint; the connection is closed when the
// test ends, if the test has not closed it.
func dial(ctx context.Context, t *testing.T, addr string) *fastws.Conn {
	t.Helper()
	c, _, err := fastws.Dial(ctx, "ws://"+addr+"/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func TestEcho(t *testing.T) {
	addr, _ := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dial(ctx, t, addr)

	// Sizes on both sides of the buffer's growth, in both message types.
	msgs := []struct {
		typ     fastws.MessageType
		payload []byte
	}{
		{fastws.Text, []byte("hello")},
		{fastws.Binary, []byte{0, 1, 2, 255}},
		{fastws.Text, nil},
		{fastws.Binary, bytes.Repeat([]byte{7}, 1<<20)},
		{fastws.Text, []byte("after the large one")},
	}
	for _, m := range msgs {
		if err := c.WriteMessage(ctx, m.typ, m.payload); err != nil {
			t.Fatal(err)
		}
		typ, got, err := c.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if typ != m.typ || !bytes.Equal(got, m.payload) {
			t.Fatalf("sent %v of %d bytes, got %v of %d bytes back", m.typ, len(m.payload), typ, len(got))
		}
	}
	if err := c.Close(fastws.CloseNormal, ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// A request that is not a WebSocket handshake gets an HTTP refusal.
func TestEchoRefusesPlainHTTP(t *testing.T) {
	addr, _ := start(t)
	resp, err := http.Get("http://" + addr + "/echo")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("status %d, want %d", resp.StatusCode, http.StatusUpgradeRequired)
	}
}

// Shutting the server down closes connected clients with 1001 and ends
// run.
func TestEchoShutdown(t *testing.T) {
	addr, stop := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dial(ctx, t, addr)
	// A round trip first, so that the handler is running when the server
	// stops.
	if err := c.WriteMessage(ctx, fastws.Text, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.ReadMessage(ctx); err != nil {
		t.Fatal(err)
	}

	// The client must be reading to answer the server's close frame,
	// which stop waits for.
	read := make(chan error, 1)
	go func() {
		_, _, err := c.ReadMessage(ctx)
		read <- err
	}()
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	err := <-read
	var ce *fastws.CloseError
	if !errors.As(err, &ce) || ce.Code != fastws.CloseGoingAway || ce.Reason != "server shutting down" {
		t.Fatalf("the client read %v, want 1001 (going away)", err)
	}
}
