package fastws

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// What a handler queues while the connection's writes are held up
// arrives complete and in order: small messages gathered into shared
// writes, large ones, prepared ones, a ping among them and the close
// frame last, with and without permessage-deflate. On the goroutine
// driver the test holds the wire while it queues, so that the writer
// finds a full queue and batches; on the loops, what one handler call
// queues leaves in that loop turn's write anyway.
func TestHandlerQueuedMix(t *testing.T) {
	type msg struct {
		typ      MessageType
		p        []byte
		prepared bool
	}
	var msgs []msg
	for i := range 120 {
		n := []int{5, 300, 2000, 4096, 9000}[i%5]
		p := bytes.Repeat([]byte(fmt.Sprintf("%03d ", i)), n/4+1)[:n]
		typ := []MessageType{Text, Binary, Text | Uncompressed}[i%3]
		msgs = append(msgs, msg{typ: typ, p: p, prepared: i%4 == 1})
	}
	modes := []struct {
		name string
		comp *CompressionOptions
	}{
		{"plain", nil},
		{"deflate", &CompressionOptions{}},
		{"deflate-no-takeover", &CompressionOptions{ServerNoContextTakeover: true}},
	}
	forEachDriver(t, func(t *testing.T, d Driver) {
		for _, mode := range modes {
			t.Run(mode.name, func(t *testing.T) {
				rec := newRecorder(t)
				opts := &ServerOptions{}
				opts.Compression = mode.comp
				_, url := startServer(t, d, rec, opts)
				ctx := testCtx(t)
				c, _, err := Dial(ctx, url, &DialOptions{Compression: mode.comp})
				if err != nil {
					t.Fatal(err)
				}
				defer c.CloseNow()
				s := rec.waitOpen(t)
				held := false
				cs, _ := s.drv.(*connSession)
				if cs != nil {
					if err := cs.c.wireMu.lock(ctx, cs.c.closed); err != nil {
						t.Fatal(err)
					}
					held = true
					defer func() {
						if held {
							cs.c.wireMu.unlock()
						}
					}()
				}
				pings := 0
				c.opts.OnPing = func([]byte) { pings++ }
				for i, m := range msgs {
					if m.prepared {
						pm, perr := NewPreparedMessage(m.typ, m.p)
						if perr != nil {
							t.Fatal(perr)
						}
						err = s.WritePrepared(pm)
					} else {
						err = s.WriteMessage(m.typ, m.p)
					}
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					if i == 60 {
						if err := s.Ping([]byte("p")); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := s.Close(CloseNormal, "bye"); err != nil {
					t.Fatal(err)
				}
				if held {
					held = false
					cs.c.wireMu.unlock()
				}
				for i, m := range msgs {
					typ, p, err := c.ReadMessage(ctx)
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					if typ != m.typ&^Uncompressed || !bytes.Equal(p, m.p) {
						t.Fatalf("message %d: %v of %d bytes, want %v of %d", i, typ, len(p), m.typ&^Uncompressed, len(m.p))
					}
				}
				_, _, err = c.ReadMessage(ctx)
				var ce *CloseError
				if !errors.As(err, &ce) || ce.Code != CloseNormal || ce.Reason != "bye" {
					t.Fatalf("after the messages: %v, want close 1000 bye", err)
				}
				if pings != 1 {
					t.Errorf("%d pings arrived, want 1", pings)
				}
				rec.waitClose(t)
			})
		}
	})
}
