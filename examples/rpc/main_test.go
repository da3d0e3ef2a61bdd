package main

import (
	"context"
	"errors"
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
	return "ws://" + ln.Addr().String() + "/rpc", stop
}

func TestRPCDemo(t *testing.T) {
	url, _ := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	if err := callDemo(ctx, url, &out); err != nil {
		t.Fatal(err)
	}
	want := "Calc.Add(2, 40) = 42\nCalc.Div(84, 2) = 42\nCalc.Div(1, 0): division by zero\n"
	if out.String() != want {
		t.Fatalf("printed %q, want %q", out.String(), want)
	}
}

// Calls made at once from many goroutines share the connection, each
// getting its own answer.
func TestRPCConcurrentCalls(t *testing.T) {
	url, _ := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Go(func() {
			sum, err := call(ctx, client, "Calc.Add", Args{i, 1000})
			if err != nil || sum != i+1000 {
				t.Errorf("Add(%d, 1000) = %d, %v", i, sum, err)
			}
		})
	}
	wg.Wait()
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
}

// A server shutting down ends its clients' connections: their calls then
// fail instead of waiting.
func TestRPCShutdown(t *testing.T) {
	url, stop := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client, err := dial(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if sum, err := call(ctx, client, "Calc.Add", Args{1, 2}); err != nil || sum != 3 {
		t.Fatalf("Add(1, 2) = %d, %v", sum, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	// rpc.ErrShutdown, or the error of writing the request if the call
	// beats the client's own reader to the news.
	if _, err := call(ctx, client, "Calc.Add", Args{1, 2}); err == nil || ctx.Err() != nil {
		t.Fatalf("a call after the server stopped returned %v, want an error", err)
	}
}
