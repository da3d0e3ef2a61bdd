package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
)

// startEcho runs a small echo server on a free loopback port and returns
// its address. It serves the path /echo only, refusing others with 403.
// Everything it started is stopped when the test ends.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// Cancelled before the cleanup below runs, which ends the reads of
	// connections a failed test left open.
	ctx := t.Context()
	opts := &fastws.AcceptOptions{
		OnRequest: func(target []byte) error {
			if string(target) != "/echo" {
				return errors.New("no such endpoint")
			}
			return nil
		},
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return // the listener was closed
			}
			wg.Go(func() {
				c, err := fastws.Accept(nc, opts)
				if err != nil {
					return
				}
				defer c.CloseNow()
				for {
					typ, msg, err := c.ReadMessage(ctx)
					if err != nil {
						return
					}
					if err := c.WriteMessage(ctx, typ, msg); err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func TestClient(t *testing.T) {
	addr := startEcho(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name, in, want string
	}{
		{"lines", "hello\nworld\n", "hello\nworld\nserver closed: 1000 (normal closure)\n"},
		{"no final newline", "one\ntwo", "one\ntwo\nserver closed: 1000 (normal closure)\n"},
		{"empty line", "\n", "\nserver closed: 1000 (normal closure)\n"},
		{"nothing to send", "", "server closed: 1000 (normal closure)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			if err := run(ctx, "ws://"+addr+"/echo", strings.NewReader(tc.in), &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.want {
				t.Fatalf("printed %q, want %q", out.String(), tc.want)
			}
		})
	}
}

// A refused handshake is returned with the server's status.
func TestClientRefused(t *testing.T) {
	addr := startEcho(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	err := run(ctx, "ws://"+addr+"/nowhere", strings.NewReader("hello\n"), &out)
	var he *fastws.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != 403 {
		t.Fatalf("run returned %v, want a handshake refused with 403", err)
	}
	if out.Len() != 0 {
		t.Fatalf("printed %q before failing", out.String())
	}
}
