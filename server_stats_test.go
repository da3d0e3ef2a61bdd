package fastws

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/testtime"
)

// waitStats polls srv.Stats until ok holds, for a few seconds at most,
// and returns the last reading.
func waitStats(t *testing.T, srv *Server, ok func(ServerStats) bool) ServerStats {
	t.Helper()
	deadline := time.Now().Add(testtime.Limit(5 * time.Second))
	for {
		st := srv.Stats()
		if ok(st) || time.Now().After(deadline) {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The Server's counters balance on every driver: BytesQueued comes back
// to 0 once what was written has gone out, and once a connection that
// held a queue has closed; MessagesOut counts the data messages that
// were written whole, not those queued and then discarded.
func TestServerStatsBalance(t *testing.T) {
	forEachDriver(t, func(t *testing.T, d Driver) {
		for _, zip := range []*CompressionOptions{nil, {}} {
			pm, err := NewPreparedMessage(Text, bytes.Repeat([]byte("p"), 300))
			if err != nil {
				t.Fatal(err)
			}
			rec := newRecorder(t)
			const data = 30
			rec.onMsg = func(s *Session, _ MessageType, _ []byte) {
				for i := range data {
					var err error
					switch i % 3 {
					case 0:
						err = s.WriteMessage(Text, bytes.Repeat([]byte("t"), 100))
					case 1:
						// Written from the caller's memory on the loops.
						err = s.WriteMessage(Binary, bytes.Repeat([]byte("b"), 20<<10))
					default:
						err = s.WritePrepared(pm)
					}
					if err == nil && i%6 == 5 {
						err = s.Ping([]byte("hi"))
					}
					if err != nil {
						t.Errorf("write %d: %v", i, err)
					}
				}
			}
			srv, url := startServer(t, d, rec, &ServerOptions{
				AcceptOptions: AcceptOptions{Compression: zip},
				QueuePolicy:   QueueRefuse,
				QueueLimit:    256 << 10,
			})
			ctx := testCtx(t)
			client, _, err := Dial(ctx, url, &DialOptions{Compression: zip})
			if err != nil {
				t.Fatal(err)
			}
			defer client.CloseNow()
			rec.waitOpen(t)
			if err := client.WriteMessage(ctx, Text, []byte("go")); err != nil {
				t.Fatal(err)
			}
			for i := range data {
				if _, _, err := client.ReadMessage(ctx); err != nil {
					t.Fatalf("compressed %v: message %d: %v", zip != nil, i, err)
				}
			}
			st := waitStats(t, srv, func(st ServerStats) bool { return st.BytesQueued == 0 && st.MessagesOut == data })
			if st.BytesQueued != 0 || st.MessagesOut != data {
				t.Errorf("compressed %v, after %d messages read: %+v, want BytesQueued 0 and MessagesOut %d", zip != nil, data, st, data)
			}
			if zip != nil {
				continue
			}

			// A peer that does not read: its queue fills, then the
			// server cuts it, and what was queued is discarded.
			slows, sessions := dialSessions(t, ctx, url, rec, 1)
			slow, s := slows[0], sessions[0]
			msg := make([]byte, 64<<10)
			for i := range msg {
				msg[i] = byte(rand.Uint32()) // not to be shrunk on the way
			}
			accepted := 0
			for i := 0; i < 2000 && err == nil; i++ {
				if err = s.WriteMessage(Binary, msg); err == nil {
					accepted++
				}
				if i%16 == 15 {
					time.Sleep(time.Millisecond) // let the writer reach the socket
				}
			}
			if !errors.Is(err, ErrQueueFull) || s.Queued() == 0 {
				t.Fatalf("the queue never filled: %d written, %d queued, %v", accepted, s.Queued(), err)
			}
			s.CloseNow()
			rec.waitClose(t)
			st = waitStats(t, srv, func(st ServerStats) bool { return st.BytesQueued == 0 && st.Open == 1 })
			if st.BytesQueued != 0 || st.Open != 1 {
				t.Errorf("after the slow peer's connection ended: %+v, want BytesQueued 0 and Open 1", st)
			}
			// What the server wrote whole arrives whole: the socket
			// was closed, not reset.
			received := 0
			for received <= accepted {
				if _, _, err := slow.ReadMessage(ctx); err != nil {
					break
				}
				received++
			}
			if out := st.MessagesOut - data; out != int64(received) {
				t.Errorf("MessagesOut counts %d messages to the slow peer; %d of the %d queued arrived, the rest were discarded", out, received, accepted)
			}
		}
	})
}
