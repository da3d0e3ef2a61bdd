package fastws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/wsframe"
)

func TestPreparedMessageRefusesWhatCannotBeSent(t *testing.T) {
	if _, err := NewPreparedMessage(Text, []byte{0xff}); !errors.Is(err, wsframe.ErrInvalidUTF8) {
		t.Errorf("invalid UTF-8: %v", err)
	}
	if _, err := NewPreparedMessage(MessageType(wsframe.OpPing), nil); err == nil {
		t.Error("a ping as a data message was accepted")
	}
	p := []byte("hello")
	pm, err := NewPreparedMessage(Text|Uncompressed, p)
	if err != nil {
		t.Fatal(err)
	}
	p[0] = 'j' // the message holds its own copy
	if string(pm.Payload()) != "hello" || pm.Len() != 5 || pm.Type() != Text|Uncompressed {
		t.Errorf("payload %q, len %d, type %v", pm.Payload(), pm.Len(), pm.Type())
	}
	if want := []byte{0x81, 5, 'h', 'e', 'l', 'l', 'o'}; !bytes.Equal(pm.frame, want) {
		t.Errorf("frame % x, want % x", pm.frame, want)
	}
}

// One PreparedMessage written to clients of every compression kind, on
// every driver and through a plain Conn: each client reads the message,
// and the compressed frame is made once per setting among the
// connections that keep no context.
func TestWritePreparedToEveryKindOfConnection(t *testing.T) {
	payload := bytes.Repeat([]byte(`{"room":"lobby","text":"hello, everyone"} `), 40)
	offers := []*CompressionOptions{
		nil, // no permessage-deflate
		{ServerNoContextTakeover: true},
		{ServerNoContextTakeover: true},
		{ServerNoContextTakeover: true, ServerMaxWindowBits: 10},
		{}, // context takeover: compressed per connection
	}
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		_, url := startServer(t, d, rec, &ServerOptions{AcceptOptions: AcceptOptions{Compression: &CompressionOptions{}}})
		ctx := testCtx(t)
		var clients []*Conn
		var sessions []*Session
		for _, o := range offers {
			c, _, err := Dial(ctx, url, &DialOptions{Compression: o})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			clients = append(clients, c)
			sessions = append(sessions, rec.waitOpen(t))
		}
		for round := range 3 {
			pm, err := NewPreparedMessage(Text, append(payload, byte('0'+round)))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sessions {
				if err := s.WritePrepared(pm); err != nil {
					t.Fatal(err)
				}
			}
			for i, c := range clients {
				typ, got, err := c.ReadMessage(ctx)
				if err != nil || typ != Text || !bytes.Equal(got, pm.Payload()) {
					t.Fatalf("client %d (%+v), round %d: %v %d bytes, %v", i, offers[i], round, typ, len(got), err)
				}
			}
			if n := len(pm.zipped); n != 2 {
				t.Errorf("round %d: %d compressed frames made, want 2 (one per window among the no-context-takeover clients)", round, n)
			}
		}
	})
}

func TestConnWritePrepared(t *testing.T) {
	pm, err := NewPreparedMessage(Binary, bytes.Repeat([]byte("abc"), 500))
	if err != nil {
		t.Fatal(err)
	}
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("compress=%v", compress), func(t *testing.T) {
			ctx := testCtx(t)
			opts := &DialOptions{}
			if compress {
				opts.Compression = &CompressionOptions{ServerNoContextTakeover: true}
			}
			srvConn, cli := pair(t, false, &AcceptOptions{Compression: &CompressionOptions{}}, opts)
			// Both directions: the server's frame is shared, the
			// client's is masked afresh.
			go func() { _ = srvConn.WritePrepared(ctx, pm) }()
			if _, got, err := cli.ReadMessage(ctx); err != nil || !bytes.Equal(got, pm.Payload()) {
				t.Fatalf("client read %d bytes, %v", len(got), err)
			}
			go func() { _ = cli.WritePrepared(ctx, pm) }()
			if _, got, err := srvConn.ReadMessage(ctx); err != nil || !bytes.Equal(got, pm.Payload()) {
				t.Fatalf("server read %d bytes, %v", len(got), err)
			}
			if compress && len(pm.zipped) != 1 {
				t.Errorf("%d compressed frames", len(pm.zipped))
			}
		})
	}
}

// Under QueueDropOldest a peer that does not read loses the oldest
// messages, never the newest: once it reads, it receives messages in the
// order they were written, ending with the last one, and what it did not
// receive is exactly what Dropped counts.
func TestQueueDropOldest(t *testing.T) {
	const limit = 64 << 10
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		srv, url := startServer(t, d, rec, &ServerOptions{QueueLimit: limit, QueuePolicy: QueueDropOldest})
		ctx := testCtx(t)
		c, _, err := Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		s := rec.waitOpen(t)
		msg := make([]byte, 4<<10)
		written := 0
		// Fill the kernel's buffers and then the queue (bounded: 64 MiB),
		// alternating the two write paths.
		for ; written < 16384 && s.Dropped() < 40; written++ {
			binary.BigEndian.PutUint64(msg, uint64(written))
			if written%2 == 0 {
				err = s.WriteMessage(Binary, msg)
			} else {
				var pm *PreparedMessage
				if pm, err = NewPreparedMessage(Binary, msg); err == nil {
					err = s.WritePrepared(pm)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if written%64 == 32 {
				// Control frames among the messages must survive the
				// drops around them.
				if err := s.Ping([]byte{byte(written)}); err != nil {
					t.Fatal(err)
				}
			}
			if q := s.Queued(); q > limit+len(msg)+wsframe.MaxHeaderSize {
				t.Fatalf("%d bytes queued, more than the limit plus a message", q)
			}
			if written%16 == 15 {
				time.Sleep(time.Millisecond) // let the writer reach the socket
			}
		}
		dropped := s.Dropped()
		if dropped == 0 {
			t.Fatal("the queue never filled")
		}
		if st := srv.Stats(); st.Dropped != dropped {
			t.Errorf("ServerStats.Dropped %d, Session.Dropped %d", st.Dropped, dropped)
		}
		if err := s.Ping([]byte("after")); err != nil {
			t.Fatal(err)
		}
		received, last := 0, -1
		deadline := time.Now().Add(testtime.Limit(20 * time.Second))
		for last != written-1 && time.Now().Before(deadline) {
			_, got, err := c.ReadMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			n := int(binary.BigEndian.Uint64(got))
			if n <= last {
				t.Fatalf("message %d after %d", n, last)
			}
			last = n
			received++
		}
		if last != written-1 {
			t.Fatalf("the last message read was %d of %d", last, written)
		}
		if received+int(dropped) != written {
			t.Errorf("%d written, %d received, %d dropped", written, received, dropped)
		}
		s.CloseNow()
		rec.waitClose(t)
	})
}

// QueueMessages bounds the count of queued messages as QueueLimit bounds
// their bytes.
func TestQueueMessagesLimit(t *testing.T) {
	const maxMsgs = 32
	forEachDriver(t, func(t *testing.T, d Driver) {
		rec := newRecorder(t)
		_, url := startServer(t, d, rec, &ServerOptions{QueueMessages: maxMsgs})
		_, s := rec.rawClient(t, url)
		msg := make([]byte, 1<<10)
		var err error
		for i := 0; i < 65536 && err == nil; i++ {
			err = s.WriteMessage(Binary, msg)
			if i%64 == 63 {
				time.Sleep(time.Millisecond)
			}
		}
		if !errors.Is(err, ErrQueueFull) {
			t.Fatalf("never refused: %v", err)
		}
		if q, most := s.Queued(), (maxMsgs+1)*(len(msg)+wsframe.MaxHeaderSize); q > most {
			t.Errorf("%d bytes queued, more than %d messages", q, maxMsgs)
		}
		s.CloseNow()
		rec.waitClose(t)
	})
}
