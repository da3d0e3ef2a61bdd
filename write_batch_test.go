package fastws

import (
	"bytes"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/internal/deflate"
)

// writeCounter is a transport that records what is written and how many
// Write calls it took.
type writeCounter struct {
	fakeConn
	writes int
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	return w.out.Write(p)
}

// A batch of queued messages leaves in one write, and a client reads back
// every message, in order, with its type and bytes: plain and prepared,
// text and binary, compressed or not, on a connection without
// permessage-deflate and with it, with and without context takeover
// (a message the connection compresses itself is not batchable: plain
// ones, and prepared ones with context takeover).
func TestWriteBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
		return p
	}
	text := func(n int) []byte { return bytes.Repeat([]byte("hello, world "), n/13+1)[:n] }
	type msg struct {
		typ      MessageType
		p        []byte
		prepared bool
	}
	msgs := []msg{
		{Binary, random(20), false},
		{Text, text(1000), true},
		{Text | Uncompressed, text(300), false},
		{Binary, random(4096), true}, // incompressible: its shared frame may outgrow its share of the buffer
		{Text, text(4096), false},
		{Binary, nil, true},
		{Text, text(200), true},
		{Binary, random(smallFrame), true},
		{Text, []byte("é"), false},
	}
	for _, mode := range []string{"plain", "deflate", "deflate-no-takeover"} {
		t.Run(mode, func(t *testing.T) {
			var hs, chs handshakeResult
			if mode != "plain" {
				a := deflate.Agreement{CompressWindowBits: 15, DecompressWindowBits: 15,
					CompressNoContextTakeover: mode == "deflate-no-takeover"}
				hs.deflate = &compression{agreement: a, level: 1, threshold: 128}
				ca := deflate.Agreement{CompressWindowBits: 15, DecompressWindowBits: 15,
					DecompressNoContextTakeover: a.CompressNoContextTakeover}
				chs.deflate = &compression{agreement: ca, level: 1, threshold: 128}
			}
			w := &writeCounter{}
			c := newConn(w, ServerSide, nil, &hs)
			var items []outItem
			var want []msg
			for _, m := range msgs {
				it := outItem{typ: m.typ, n: len(m.p)}
				if m.prepared {
					pm, err := NewPreparedMessage(m.typ, m.p)
					if err != nil {
						t.Fatal(err)
					}
					it.pm = pm
				} else {
					it.buf = bufpool.Get(len(m.p))
					copy(*it.buf, m.p)
				}
				if !c.batchable(&it) {
					// The connection compresses it itself.
					compressed := c.dfl != nil && m.typ&Uncompressed == 0 && len(m.p) >= c.dfl.threshold
					if !compressed || !c.dfl.takeover && m.prepared {
						t.Fatalf("%d-byte %v message not batchable", len(m.p), m.typ)
					}
					continue
				}
				items = append(items, it)
				want = append(want, m)
			}
			if mode != "plain" && len(items) == len(msgs) {
				t.Fatal("with compression, every message was batchable")
			}
			if err := c.writeBatch(testCtx(t), batchSource{items: items}); err != nil {
				t.Fatal(err)
			}
			if w.writes != 1 {
				t.Errorf("%d messages took %d writes, want 1", len(items), w.writes)
			}
			client := newConn(&fakeConn{in: bytes.NewReader(w.out.Bytes())}, ClientSide, nil, &chs)
			for i, m := range want {
				typ, p, err := client.ReadMessage(testCtx(t))
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if typ != m.typ&^Uncompressed || !bytes.Equal(p, m.p) {
					t.Fatalf("message %d: %v of %d bytes, want %v of %d", i, typ, len(p), m.typ, len(m.p))
				}
			}
		})
	}
}

// A batch on a closed connection, or after a failed write, reports it
// and writes nothing.
func TestWriteBatchClosed(t *testing.T) {
	w := &writeCounter{}
	c := newConn(w, ServerSide, nil, &handshakeResult{})
	pm, err := NewPreparedMessage(Binary, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	c.CloseNow()
	if err := c.writeBatch(testCtx(t), batchSource{items: []outItem{{typ: Binary, pm: pm, n: 1}}}); err == nil {
		t.Fatal("a batch on a closed connection succeeded")
	}
	if w.out.Len() != 0 {
		t.Fatalf("%d bytes written after close", w.out.Len())
	}
}

// failingWriter fails every write.
type failingWriter struct{ fakeConn }

func (failingWriter) Write([]byte) (int, error) { return 0, net.ErrClosed }

func TestWriteBatchWriteFails(t *testing.T) {
	c := newConn(&failingWriter{}, ServerSide, nil, &handshakeResult{})
	pm, err := NewPreparedMessage(Binary, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	items := []outItem{{typ: Binary, pm: pm, n: 1}}
	err = c.writeBatch(testCtx(t), batchSource{items: items})
	if err == nil || c.writeErr == nil {
		t.Fatalf("failed write: %v, connection's write error %v", err, c.writeErr)
	}
	if err2 := c.writeBatch(testCtx(t), batchSource{items: items}); err2 == nil {
		t.Fatal("a batch after a failed write succeeded")
	}
}

// A shared frame longer than writeBatch's estimate (which no deflate
// output of a small message is known to be, hence the understated size
// here) goes out after what was gathered before it, in order.
func TestWriteBatchFrameOverEstimate(t *testing.T) {
	w := &writeCounter{}
	c := newConn(w, ServerSide, nil, &handshakeResult{})
	big := bytes.Repeat([]byte("b"), 4096)
	pm, err := NewPreparedMessage(Binary, big)
	if err != nil {
		t.Fatal(err)
	}
	first := bufpool.Get(3)
	copy(*first, "abc")
	items := []outItem{{typ: Text, buf: first, n: 3}, {typ: Binary, pm: pm}, {typ: Text, buf: first, n: 3}}
	if err := c.writeBatch(testCtx(t), batchSource{items: items}); err != nil {
		t.Fatal(err)
	}
	client := newConn(&fakeConn{in: bytes.NewReader(w.out.Bytes())}, ClientSide, nil, &handshakeResult{})
	for i, want := range [][]byte{[]byte("abc"), big, []byte("abc")} {
		_, p, err := client.ReadMessage(testCtx(t))
		if err != nil || !bytes.Equal(p, want) {
			t.Fatalf("message %d: %d bytes, %v; want %d bytes", i, len(p), err, len(want))
		}
	}
}

// WritePreparedMessages gathers runs of small prepared messages into one
// write each and sends the others as WritePrepared does, in order; a
// client, which must mask every frame, sends them one by one.
func TestWritePreparedMessages(t *testing.T) {
	sizes := []int{10, 200, 3000, 9000, 20, 30, 0, 4096, 4097, 5}
	var pms []*PreparedMessage
	for i, n := range sizes {
		pm, err := NewPreparedMessage(Binary, bytes.Repeat([]byte{byte(i)}, n))
		if err != nil {
			t.Fatal(err)
		}
		pms = append(pms, pm)
	}
	for _, role := range []Role{ServerSide, ClientSide} {
		w := &writeCounter{}
		c := newConn(w, role, nil, &handshakeResult{})
		if err := c.WritePreparedMessages(testCtx(t), pms); err != nil {
			t.Fatal(err)
		}
		// Server: [10 200 3000] [9000] [20 30 0 4096] [4097] [5], the
		// large ones written as their prepared frame.
		if want := 5; role == ServerSide && w.writes != want {
			t.Errorf("server: %d writes, want %d", w.writes, want)
		}
		if role == ClientSide && w.writes < len(pms) {
			t.Errorf("client: %d writes for %d messages", w.writes, len(pms))
		}
		peerRole := ClientSide
		if role == ClientSide {
			peerRole = ServerSide
		}
		peer := newConn(&fakeConn{in: bytes.NewReader(w.out.Bytes())}, peerRole, nil, &handshakeResult{})
		for i, pm := range pms {
			_, p, err := peer.ReadMessage(testCtx(t))
			if err != nil || !bytes.Equal(p, pm.Payload()) {
				t.Fatalf("role %v, message %d: %d bytes, %v; want %d bytes", role, i, len(p), err, pm.Len())
			}
		}
	}
}
