package fastws

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/wsframe"
)

// handleEcho serves messages back with HandleMessages and reports how it
// ended.
func handleEcho(c *Conn) <-chan error {
	done := make(chan error, 1)
	go func() {
		ctx := context.Background()
		done <- c.HandleMessages(ctx, func(typ MessageType, msg []byte) error {
			return c.WriteMessage(ctx, typ, msg)
		})
	}()
	return done
}

// Every size, whole or fragmented, with pings in between, over the fast
// path (a socket), the ordinary one (net.Pipe, not a socket) and with
// permessage-deflate (which takes the ordinary one).
func TestHandleMessagesEcho(t *testing.T) {
	for _, tc := range []struct {
		name string
		pair func(t *testing.T) (server, client *Conn)
	}{
		{"socket", func(t *testing.T) (*Conn, *Conn) { return pair(t, false, nil, nil) }},
		{"pipe", pipePair},
		{"compressed", func(t *testing.T) (*Conn, *Conn) {
			return compressedPair(t, &CompressionOptions{}, &CompressionOptions{})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			server, client := tc.pair(t)
			done := handleEcho(server)
			ctx := testCtx(t)
			check := func(typ MessageType, msg []byte) {
				t.Helper()
				gotTyp, got, err := client.ReadMessage(ctx)
				if err != nil || gotTyp != typ || !bytes.Equal(got, msg) {
					t.Fatalf("%v of %d bytes came back as %v of %d bytes (%v)", typ, len(msg), gotTyp, len(got), err)
				}
			}
			for _, n := range []int{0, 1, 125, 126, 4095, 8 << 10, 65536, 65537, 1 << 20} {
				msg := randomBytes(uint64(n), n)
				if err := client.WriteMessage(ctx, Binary, msg); err != nil {
					t.Fatal(err)
				}
				check(Binary, msg)
				text := bytes.Repeat([]byte("é"), n/2)
				if err := client.WriteMessage(ctx, Text, text); err != nil {
					t.Fatal(err)
				}
				check(Text, text)
			}
			// A fragmented message with a ping between its frames, and
			// many small messages in one burst.
			w, err := client.NextWriter(ctx, Binary)
			if err != nil {
				t.Fatal(err)
			}
			big := randomBytes(9, 100000)
			sent := make(chan error, 1)
			go func() {
				// A ping between the message's frames, answered by the
				// server while it gathers the message.
				_, err := w.Write(big[:50000])
				if err == nil {
					err = client.WriteFrame(ctx, Frame{Fin: true, Opcode: wsframe.OpPing, Payload: []byte("mid-message")})
				}
				if err == nil {
					_, err = w.Write(big[50000:])
				}
				if err == nil {
					err = w.Close()
				}
				for i := 0; i < 200 && err == nil; i++ {
					err = client.WriteMessage(ctx, Binary, []byte{byte(i)})
				}
				sent <- err
			}()
			check(Binary, big) // the pong was seen (and dropped) on the way
			for i := range 200 {
				check(Binary, []byte{byte(i)})
			}
			if err := <-sent; err != nil {
				t.Fatal(err)
			}
			if err := client.Close(CloseNormal, "done"); err != nil {
				t.Fatalf("Close: %v", err)
			}
			var ce *CloseError
			if err := <-done; !errors.As(err, &ce) || ce.Code != CloseNormal || ce.Reason != "done" {
				t.Fatalf("HandleMessages ended with %v, want close 1000 done", err)
			}
		})
	}
}

// pipePair is a server and a client over net.Pipe: not a socket, so the
// server's HandleMessages takes the ordinary path.
func pipePair(t *testing.T) (server, client *Conn) {
	leakcheck.Check(t)
	a, b := net.Pipe()
	server, client = NewConn(a, ServerSide, nil), NewConn(b, ClientSide, nil)
	t.Cleanup(func() {
		server.CloseNow()
		client.CloseNow()
	})
	return server, client
}

// A handler's error stops HandleMessages and comes back as it is; the
// connection goes on, and a read from inside a handler is an error, not a
// wait for itself.
func TestHandleMessagesHandlerErrorsAndReads(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	stopErr := errors.New("enough")
	go func() {
		for _, m := range []string{"one", "two", "three"} {
			client.WriteMessage(ctx, Text, []byte(m))
		}
	}()
	var got []string
	err := server.HandleMessages(ctx, func(_ MessageType, msg []byte) error {
		got = append(got, string(msg))
		if _, _, err := server.ReadMessage(ctx); !errors.Is(err, errReadInHandler) {
			t.Errorf("ReadMessage inside the handler: %v", err)
		}
		if len(got) == 2 {
			return stopErr
		}
		return nil
	})
	if err != stopErr || len(got) != 2 {
		t.Fatalf("HandleMessages returned %v after %q", err, got)
	}
	if _, msg, err := server.ReadMessage(ctx); err != nil || string(msg) != "three" {
		t.Fatalf("the next read: %q, %v", msg, err)
	}
}

// Close from inside a handler sends the close frame and returns at once;
// HandleMessages then finishes the handshake.
func TestHandleMessagesCloseFromHandler(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	peer := make(chan error, 1)
	go func() {
		client.WriteMessage(ctx, Text, []byte("bye"))
		_, _, err := client.ReadMessage(ctx) // the server's close frame, answered
		peer <- err
	}()
	start := time.Now()
	err := server.HandleMessages(ctx, func(MessageType, []byte) error {
		return server.Close(CloseGoingAway, "leaving")
	})
	var ce *CloseError
	if !errors.As(err, &ce) || ce.Code != CloseGoingAway {
		t.Fatalf("HandleMessages ended with %v, want the peer's echo of 1001", err)
	}
	// Waiting for its own reader would take the whole close timeout.
	if d := time.Since(start); d > DefaultCloseTimeout/2 {
		t.Fatalf("the handshake took %v: Close waited for its own reader", d)
	}
	if err := <-peer; !errors.As(err, &ce) || ce.Code != CloseGoingAway || ce.Reason != "leaving" {
		t.Fatalf("the client saw %v", err)
	}
}

// A context that ends stops HandleMessages, while it waits or inside a
// message; the next call goes on where it stopped, and the other read
// APIs refuse a message HandleMessages half read.
func TestHandleMessagesInterrupted(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	nothing := func(MessageType, []byte) error { return errors.New("no message was sent") }
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := server.HandleMessages(short, nothing); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting with an expiring context: %v", err)
	}
	msg := randomBytes(4, 300000)
	sendSplit(ctx, client, msg, 300*time.Millisecond)
	short2, cancel2 := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel2()
	if err := server.HandleMessages(short2, nothing); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("inside a message with an expiring context: %v", err)
	}
	if _, _, err := server.ReadMessage(ctx); !errors.Is(err, errHalfHandled) {
		t.Fatalf("ReadMessage on a message HandleMessages half read: %v", err)
	}
	stop := errors.New("got it")
	err := server.HandleMessages(ctx, func(typ MessageType, got []byte) error {
		if typ != Binary || !bytes.Equal(got, msg) {
			t.Errorf("continued message: %v of %d bytes", typ, len(got))
		}
		return stop
	})
	if err != stop {
		t.Fatalf("continuing: %v", err)
	}
	go client.WriteMessage(ctx, Text, []byte("after"))
	if _, m, err := server.ReadMessage(ctx); err != nil || string(m) != "after" {
		t.Fatalf("ReadMessage after HandleMessages finished the message: %q, %v", m, err)
	}
}

// A rule broken by the peer fails the connection with its close code, on
// the fast path as on the ordinary one.
func TestHandleMessagesProtocolError(t *testing.T) {
	leakcheck.Check(t)
	ln := listen(t)
	srv := acceptOne(t, ln, nil)
	peer := dialRaw(t, ln.Addr().String(), rawUpgrade("/"))
	peer.upgraded()
	server := <-srv
	defer server.CloseNow()
	done := handleEcho(server)
	peer.send(wsframe.Header{Fin: true, Opcode: wsframe.OpText}, []byte{0xc3, 0x28}) // not UTF-8
	if err := <-done; !errors.Is(err, wsframe.ErrInvalidUTF8) {
		t.Fatalf("HandleMessages ended with %v, want invalid UTF-8", err)
	}
	if code := peer.expectClose(); code != CloseInvalidPayload {
		t.Fatalf("close code %d, want 1007", code)
	}
}
