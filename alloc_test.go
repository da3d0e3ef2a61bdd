package fastws

import (
	"bytes"
	"context"
	"io"
	"testing"
)

func skipUnderRace(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race; `make test` runs this test without it")
	}
}

// Reading and writing messages up to 16 KiB allocates nothing in steady
// state, on either side: the client writes and reads, the server echoes.
func TestEchoAllocatesNothing(t *testing.T) {
	skipUnderRace(t)
	for _, size := range []int{20, 1024, 16 << 10} {
		server, client := pair(t, false, nil, nil)
		done := echo(server)
		if n := echoAllocations(t, client, Binary, bytes.Repeat([]byte("a"), size)); n != 0 {
			t.Errorf("%d-byte echo: %v allocations per round trip, want 0", size, n)
		}
		client.Close(CloseNormal, "")
		<-done
	}
}

// echoAllocations measures the allocations of a round trip of msg from
// client to its echoing server and back (the whole process's: both
// ends), after 100 round trips to warm the pools, buffers and histories.
// A context that can end would cost its watch per call, so there is none.
func echoAllocations(t *testing.T, client *Conn, typ MessageType, msg []byte) float64 {
	t.Helper()
	ctx := context.Background()
	buf := make([]byte, 0, len(msg))
	roundTrip := func() {
		if err := client.WriteMessage(ctx, typ, msg); err != nil {
			t.Fatal(err)
		}
		_, got, err := client.AppendMessage(ctx, buf[:0])
		if err != nil || len(got) != len(msg) {
			t.Fatalf("echo: %d bytes of %d, %v", len(got), len(msg), err)
		}
	}
	for range 100 {
		roundTrip()
	}
	return testing.AllocsPerRun(300, roundTrip)
}

// The raw server handshake allocates nothing once its pools are warm (the
// Conn it runs on is allocated once, before).
func TestAcceptHandshakeAllocatesNothing(t *testing.T) {
	skipUnderRace(t)
	request := []byte(rawUpgrade("/chat", "Sec-WebSocket-Protocol: x, chat", "Origin: http://example.com", "User-Agent: test"))
	opts := &AcceptOptions{Subprotocols: []string{"chat"}}
	conn := &fakeConn{}
	c := allocConn(conn, ServerSide)
	r := bytes.NewReader(nil)
	run := func() {
		r.Reset(request)
		conn.in = r
		conn.out.Reset()
		var hs handshakeResult
		err := c.acceptHandshake(opts, &hs)
		if err != nil {
			t.Fatal(err)
		}
		if hs.protocol != "chat" {
			t.Fatalf("protocol %q", hs.protocol)
		}
		putBuffer(hs.rbuf)
	}
	for range 10 {
		run()
	}
	if n := testing.AllocsPerRun(200, run); n != 0 {
		t.Fatalf("%v allocations per handshake, want 0", n)
	}
}

// A Server's echo allocates nothing per message either, on each driver,
// for messages small and large (a large one is written from where it
// was read, on the loops), compressed or not (the loops inflate into a
// spill and from a source they keep). HandlerGoroutines copies each
// message for its goroutine by design, so it is left out.
func TestHandlerEchoAllocatesNothing(t *testing.T) {
	skipUnderRace(t)
	forEachDriver(t, func(t *testing.T, d Driver) {
		if d == driverLoopsWithGoroutines {
			t.Skip("HandlerGoroutines copies every message for its goroutine")
		}
		for _, zip := range []*CompressionOptions{nil, {}} {
			rec := newRecorder(t)
			_, url := startServer(t, d, rec, &ServerOptions{AcceptOptions: AcceptOptions{Compression: zip}})
			client, _, err := Dial(context.Background(), url, &DialOptions{Compression: zip})
			if err != nil {
				t.Fatal(err)
			}
			defer client.CloseNow()
			rec.waitOpen(t)
			for _, size := range []int{20, 1024, 16 << 10, 64 << 10} {
				msg := bytes.Repeat([]byte(`{"id":12,"name":"alice","tags":["x"]},`), size/38+1)[:size]
				if n := echoAllocations(t, client, Text, msg); n != 0 {
					t.Errorf("%d-byte echo, compressed %v: %v allocations per round trip, want 0", size, zip != nil, n)
				}
			}
		}
	})
}

// A Stream's writes and reads allocate nothing in steady state: each
// write is a message, and each message is read through the reader the
// Stream keeps (a new one per message was an allocation on every read).
func TestStreamAllocatesNothing(t *testing.T) {
	skipUnderRace(t)
	server, client := pair(t, false, nil, nil)
	ss, cs := NewStream(server, Binary, nil), NewStream(client, Binary, nil)
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(ss, ss)
		done <- err
	}()
	msg := bytes.Repeat([]byte("s"), 1024)
	buf := make([]byte, len(msg))
	roundTrip := func() {
		if _, err := cs.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(cs, buf); err != nil || !bytes.Equal(buf, msg) {
			t.Fatalf("echo through the streams: %v", err)
		}
	}
	for range 100 {
		roundTrip()
	}
	if n := testing.AllocsPerRun(300, roundTrip); n != 0 {
		t.Errorf("%v allocations per 1 KiB round trip through two Streams, want 0", n)
	}
	if err := cs.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("the echoing stream: %v", err)
	}
}
