package fastws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/wsframe"
)

// The memory one read costs, shape by shape: a raw client writes frames
// built beforehand, so that while a read is measured only the server's
// side of it allocates, and the runtime counts every byte allocated
// (which bounds what is held at the peak). make test runs these at 4 MiB;
// the bench runs the same shapes at full scale, with RSS.

// allocatedBytes is the runtime's count of heap bytes allocated so far.
func allocatedBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// memShape is one way a message can arrive.
type memShape struct {
	name       string
	n          int  // payload size (inflated size when compressed)
	frag       int  // fragment size on the wire; 0 for one frame
	compressed bool // permessage-deflate, one compressed message
}

const memN = 4 << 20

var memShapes = []memShape{
	{"one frame", memN, 0, false},
	{"64 KiB fragments", memN, 64 << 10, false},
	{"1 KiB fragments", memN, 1 << 10, false},
	{"1-byte fragments", 256 << 10, 1, false},
	{"compressed", memN, 0, true},
	{"compressed, 16 KiB fragments", memN, 16 << 10, true},
}

// memPayload is n bytes of JSON-like text: compressible, and UTF-8.
func memPayload(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 13))
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(`{"id":`)
		b.WriteString(itoa(r.IntN(1000000)))
		b.WriteString(`,"name":"user`)
		b.WriteString(itoa(r.IntN(1000)))
		b.WriteString(`","ok":true},`)
	}
	return []byte(b.String()[:n])
}

// wireMessage is the masked frames of one text message of shape s.
func wireMessage(t *testing.T, s memShape, payload []byte) []byte {
	data := payload
	if s.compressed {
		data = deflateRaw(t, payload)
	}
	frag := s.frag
	if frag == 0 {
		frag = len(data)
	}
	var wire []byte
	for first := true; first || len(data) > 0; first = false {
		n := min(frag, len(data))
		h := wsframe.Header{Fin: n == len(data), Opcode: wsframe.OpContinuation}
		if first {
			h.Opcode = wsframe.OpText
			if s.compressed {
				h.Rsv = wsframe.Rsv1
			}
		}
		wire = append(wire, maskFrame(h, data[:n])...)
		data = data[n:]
	}
	return wire
}

// memoryPair is a server Conn with opts and a raw client connected to it.
func memoryPair(t *testing.T, opts *AcceptOptions) (*Conn, *rawPeer) {
	ln := listen(t)
	accepted := acceptOne(t, ln, opts)
	var extra []string
	if opts.Compression != nil {
		extra = append(extra, "Sec-WebSocket-Extensions: permessage-deflate")
	}
	p := dialRaw(t, ln.Addr().String(), rawUpgrade("/", extra...))
	if resp := p.response(); resp.StatusCode != 101 {
		t.Fatalf("handshake: %s", resp.Status)
	}
	server := <-accepted
	if server == nil {
		t.FailNow()
	}
	t.Cleanup(func() { server.CloseNow() })
	return server, p
}

// measureRead writes wire from another goroutine and returns the bytes
// allocated while read runs.
func measureRead(t *testing.T, p *rawPeer, wire []byte, read func() error) uint64 {
	t.Helper()
	runtime.GC()
	written := make(chan error, 1)
	before := allocatedBytes()
	go func() {
		_, err := p.conn.Write(wire)
		written <- err
	}()
	err := read()
	allocated := allocatedBytes() - before
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-written; err != nil {
		t.Fatalf("write: %v", err)
	}
	return allocated
}

// Bounds on what one read allocates (cold pools: the worst case; in a
// steady state pooled memory is reused). inflaterState covers what the
// first compressed message allocates for its decompressor (pooled after).
const (
	slack         = 64 << 10
	inflaterState = 192 << 10
)

// memReaders are the ways to read one message, each returning its size,
// with the bound on what reading a message of shape s may allocate.
var memReaders = []struct {
	name string
	// read reads one message and checks it is want; buf is memory it may
	// use, allocated before the measurement.
	read  func(ctx context.Context, c *Conn, want, buf []byte) error
	bound func(s memShape) int
}{
	{"ReadMessage", func(ctx context.Context, c *Conn, want, _ []byte) error {
		_, msg, err := c.ReadMessage(ctx)
		return sameMessage(msg, want, err)
	}, newMessageBound},
	{"AppendMessage into a reused buffer", func(ctx context.Context, c *Conn, want, buf []byte) error {
		_, msg, err := c.AppendMessage(ctx, buf[:0])
		return sameMessage(msg, want, err)
	}, func(s memShape) int { return slack + compressedExtra(s) }},
	{"NextReader", func(ctx context.Context, c *Conn, want, buf []byte) error {
		_, r, err := c.NextReader(ctx)
		if err != nil {
			return err
		}
		for {
			n, err := r.Read(buf[:min(cap(buf), 32<<10)])
			if !bytes.HasPrefix(want, buf[:n]) {
				return fmt.Errorf("the message differs %d bytes from its end", len(want))
			}
			want = want[n:]
			if err == io.EOF {
				return sameMessage(nil, want, nil)
			}
			if err != nil {
				return err
			}
		}
	}, func(s memShape) int { return slack + compressedExtra(s) }},
	{"HandleMessages", func(ctx context.Context, c *Conn, want, _ []byte) error {
		err := c.HandleMessages(ctx, func(_ MessageType, msg []byte) error {
			if err := sameMessage(msg, want, nil); err != nil {
				return err
			}
			return io.EOF // one message
		})
		if err == io.EOF {
			err = nil
		}
		return err
	}, func(s memShape) int {
		// As ReadMessage, plus the gathering buffer HandleMessages keeps
		// (handleKeep, grown by doubling while the pool is cold).
		return newMessageBound(s) + 2*handleKeep
	}},
	{"ReadFrame", func(ctx context.Context, c *Conn, want, _ []byte) error {
		// Raw frames: a compressed message's payload is what the wire
		// carried, so only its end is checked. A context that can end
		// costs an allocation per call (ReadFrame's doc): the deadline
		// stands in for it, so that what is measured is the gathering.
		if d, ok := ctx.Deadline(); ok {
			_ = c.SetReadDeadline(d)
		}
		ctx = context.Background()
		compressed := false
		for {
			f, err := c.ReadFrame(ctx)
			if err != nil {
				return err
			}
			compressed = compressed || f.Rsv != 0
			if !compressed {
				if !bytes.HasPrefix(want, f.Payload) {
					return fmt.Errorf("a frame differs %d bytes from the message's end", len(want))
				}
				want = want[len(f.Payload):]
			} else {
				want = nil
			}
			if f.Fin {
				return sameMessage(nil, want, nil)
			}
		}
	}, func(s memShape) int {
		// A frame longer than a read is gathered, and allocated exactly
		// once an eighth of it has arrived.
		return s.n + s.n/4 + slack
	}},
}

// sameMessage reports err, or how got differs from want.
func sameMessage(got, want []byte, err error) error {
	switch {
	case err != nil:
		return err
	case len(got) != len(want):
		return fmt.Errorf("read %d bytes, want %d", len(got), len(want))
	case !bytes.Equal(got, want):
		return errors.New("the message read differs from the one sent")
	}
	return nil
}

// newMessageBound bounds reading a message of shape s into new memory: a
// message in one frame has its size known once an eighth of it arrived,
// and is then allocated exactly (1.125 n, plus the chunk in use); any
// other waits in pooled chunks until its size is known (2 n).
func newMessageBound(s memShape) int {
	if s.frag == 0 && !s.compressed {
		return s.n + s.n/4 + slack
	}
	return 2*s.n + slack + compressedExtra(s)
}

func compressedExtra(s memShape) int {
	if s.compressed {
		return inflaterState
	}
	return 0
}

func TestMemoryPerMessage(t *testing.T) {
	skipUnderRace(t)
	for _, s := range memShapes {
		payload := memPayload(s.n)
		wire := wireMessage(t, s, payload)
		for _, r := range memReaders {
			t.Run(s.name+"/"+r.name, func(t *testing.T) {
				opts := &AcceptOptions{}
				if s.compressed {
					opts.Compression = &CompressionOptions{}
				}
				server, p := memoryPair(t, opts)
				buf := make([]byte, 0, s.n)
				allocated := measureRead(t, p, wire, func() error { return r.read(testCtx(t), server, payload, buf) })
				t.Logf("%d KiB message: %d KiB allocated (%.2fx)", s.n>>10, allocated>>10, float64(allocated)/float64(s.n))
				if bound := r.bound(s); allocated > uint64(bound) {
					t.Errorf("reading a %d KiB message allocated %d KiB, more than its bound of %d KiB", s.n>>10, allocated>>10, bound>>10)
				}
			})
		}
	}
}

// A compressed message that inflates past the limit is refused with 1009
// having allocated at most the limit, one chunk and the decompressor,
// however far it would have inflated, through every read API.
func TestMemoryBomb(t *testing.T) {
	skipUnderRace(t)
	const limit = 1 << 20
	zeros := make([]byte, 64<<20)
	bomb := wireMessage(t, memShape{compressed: true}, zeros) // 64 MiB of zeros: about 64 KiB on the wire
	for _, r := range memReaders {
		if r.name == "ReadFrame" {
			continue // raw frames are not inflated
		}
		t.Run(r.name, func(t *testing.T) {
			server, p := memoryPair(t, &AcceptOptions{Compression: &CompressionOptions{}, ConnOptions: ConnOptions{MaxMessageSize: limit}})
			buf := make([]byte, 0, 4<<10)
			runtime.GC()
			before := allocatedBytes()
			go p.conn.Write(bomb)
			err := r.read(testCtx(t), server, zeros, buf)
			allocated := allocatedBytes() - before
			if !errors.Is(err, wsframe.ErrMessageTooBig) {
				t.Fatalf("read: %v, want the message-too-big error", err)
			}
			if code := p.expectClose(); code != CloseMessageTooBig {
				t.Fatalf("close code %v, want 1009", code)
			}
			t.Logf("a 64 MiB bomb at a %d KiB limit: %d KiB allocated", limit>>10, allocated>>10)
			if bound := uint64(limit + slack + inflaterState); allocated > bound {
				t.Errorf("the bomb made the read allocate %d KiB, more than the limit's bound of %d KiB", allocated>>10, bound>>10)
			}
		})
	}
}

// A budget shared by connections bounds what their messages in progress
// hold: a message that would pass it fails its connection with 1013 while
// the other connections go on, and everything taken is given back.
func TestMemoryBudget(t *testing.T) {
	for _, r := range memReaders {
		if r.name == "AppendMessage into a reused buffer" || r.name == "NextReader" || r.name == "ReadFrame" {
			continue // the caller's memory, streams and raw frames never touch the budget
		}
		t.Run(r.name, func(t *testing.T) {
			budget := NewMemoryBudget(1 << 20)
			opts := &AcceptOptions{ConnOptions: ConnOptions{MemoryBudget: budget}}
			holder, hp := memoryPair(t, opts)
			greedy, gp := memoryPair(t, opts)
			ctx := testCtx(t)

			// The holder's 768 KiB message is half sent, in 64 KiB fragments.
			held := memPayload(768 << 10)
			wire := wireMessage(t, memShape{n: len(held), frag: 64 << 10}, held)
			half := len(wire) / 2
			hp.conn.Write(wire[:half])
			holderDone := make(chan error, 1)
			go func() { holderDone <- r.read(ctx, holder, held, nil) }()
			deadline := time.Now().Add(testtime.Limit(10 * time.Second))
			for budget.InUse() < 256<<10 && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if budget.InUse() < 256<<10 {
				t.Fatalf("the half-received message holds %d bytes of the budget", budget.InUse())
			}

			// Another connection's 1 MiB message does not fit beside it.
			big := memPayload(1 << 20)
			go gp.conn.Write(wireMessage(t, memShape{n: len(big), frag: 64 << 10}, big))
			if err := r.read(ctx, greedy, big, nil); !errors.Is(err, ErrMemoryBudget) {
				t.Fatalf("a message past the budget: %v, want ErrMemoryBudget", err)
			}
			if code := gp.expectClose(); code != CloseTryAgainLater {
				t.Fatalf("close code %v, want 1013", code)
			}
			if budget.Refused() != 1 {
				t.Errorf("Refused() = %d, want 1", budget.Refused())
			}

			// The holder finishes its message, untouched.
			hp.conn.Write(wire[half:])
			if err := <-holderDone; err != nil {
				t.Fatalf("the message within the budget: %v", err)
			}
			if n := budget.InUse(); n != 0 {
				t.Errorf("%d bytes still taken from the budget after both messages ended", n)
			}
		})
	}
}

// A decompression bomb on a server with a budget smaller than the message
// limit stops at the budget, with 1013, and gives all of it back.
func TestMemoryBudgetStopsABomb(t *testing.T) {
	budget := NewMemoryBudget(1 << 20)
	server, p := memoryPair(t, &AcceptOptions{Compression: &CompressionOptions{}, ConnOptions: ConnOptions{MemoryBudget: budget}})
	zeros := make([]byte, 16<<20) // within the default 16 MiB limit
	go p.conn.Write(wireMessage(t, memShape{compressed: true}, zeros))
	if _, _, err := server.ReadMessage(testCtx(t)); !errors.Is(err, ErrMemoryBudget) {
		t.Fatalf("read: %v, want ErrMemoryBudget", err)
	}
	if code := p.expectClose(); code != CloseTryAgainLater {
		t.Fatalf("close code %v, want 1013", code)
	}
	if n := budget.InUse(); n != 0 {
		t.Errorf("%d bytes still taken from the budget", n)
	}
}

// A Conn keeps no reference to the caller's buffer once a read returns:
// an idle connection must not keep the last large message alive.
func TestMemoryCallersBufferLetGo(t *testing.T) {
	server, client := pair(t, false, nil, nil)
	ctx := testCtx(t)
	msg := make([]byte, 1<<20)
	go client.WriteMessage(ctx, Binary, msg)
	buf := make([]byte, 0, 2<<20)
	freed := make(chan struct{})
	runtime.AddCleanup(&buf[:1][0], func(struct{}) { close(freed) }, struct{}{})
	if _, got, err := server.AppendMessage(ctx, buf); err != nil || len(got) != len(msg) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	// buf and got are dead here: only the Conn could keep the array.
	for i := 0; i < 50; i++ {
		runtime.GC()
		select {
		case <-freed:
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("the buffer the message was read into is still reachable from the Conn")
}
