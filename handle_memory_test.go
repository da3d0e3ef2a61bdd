package fastws

import (
	"bytes"
	"context"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/deflate"
	"github.com/fastws/fastws/internal/testtime"
)

// A connection served by HandleMessages off its fast path (here, with
// permessage-deflate) holds no message buffer while it waits: after each
// of its connections echoed one 64 KiB message, the live heap grows by
// far less than the message per connection (it held the last message's
// buffer, 64 KiB each, before).
func TestHandleMessagesIdleMemory(t *testing.T) {
	if testtime.Race {
		t.Skip("memory figures mean nothing under the race detector (sync.Pool drops items at random); make test's allocs step runs this without it")
	}
	const conns, size = 50, 64 << 10
	noContext := &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}
	var clients []*Conn
	for range conns {
		server, client := compressedPair(t, noContext, noContext)
		go func() {
			_ = server.HandleMessages(context.Background(), func(typ MessageType, msg []byte) error {
				return server.WriteMessage(context.Background(), typ, msg)
			})
		}()
		clients = append(clients, client)
	}
	live := func() uint64 {
		time.Sleep(testtime.Limit(50 * time.Millisecond)) // the servers go back to their wait
		var ms runtime.MemStats
		for range 3 {
			runtime.GC()
		}
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	deflate.FillWriterPool(1, 15) // what the process keeps, not the connections
	before := live()
	ctx := testCtx(t)
	msg := jsonText(1, size)
	for _, c := range clients {
		if err := c.WriteMessage(ctx, Text, msg); err != nil {
			t.Fatal(err)
		}
		if _, got, err := c.ReadMessage(ctx); err != nil || len(got) != size {
			t.Fatalf("echo: %d bytes, %v", len(got), err)
		}
	}
	after := live()
	perConn := (int64(after) - int64(before)) / conns
	t.Logf("live heap per connection after a %d KiB echo: %d bytes", size>>10, perConn)
	if perConn > 8<<10 {
		t.Errorf("%d bytes more live heap per connection after the echo: a message buffer is held while idle", perConn)
	}
}

// A message that outgrows HandleMessages' gathering buffer is gathered in
// a buffer from the pool, which HandleMessages keeps as its gathering
// buffer: it was allocated at its exact size before, and was garbage
// after the handler (a burst of 1,000 connections each echoing one
// 16 KiB compressed message left 16 MiB of it).
func TestHandleMessagesGrowingMemoryIsPooled(t *testing.T) {
	if testtime.Race {
		t.Skip("allocation figures mean nothing under the race detector (sync.Pool drops items at random); make test's allocs step runs this without it")
	}
	server, client := compressedPair(t, noContextTakeover, noContextTakeover)
	go func() {
		_ = server.HandleMessages(context.Background(), func(typ MessageType, msg []byte) error {
			return server.WriteMessage(context.Background(), typ, msg)
		})
	}()
	ctx := testCtx(t)
	small, large := jsonText(1, 1<<10), jsonText(2, 32<<10)
	buf := make([]byte, 0, 64<<10)
	echo := func(msg []byte) {
		if err := client.WriteMessage(ctx, Text, msg); err != nil {
			t.Fatal(err)
		}
		_, got, err := client.AppendMessage(ctx, buf[:0])
		if err != nil || len(got) != len(msg) {
			t.Fatalf("echo: %d bytes, %v", len(got), err)
		}
	}
	// Each large message follows a small one, whose buffer it outgrows.
	const rounds = 100
	for range 10 {
		echo(small)
		echo(large)
	}
	perRound := bytesAllocatedPer(rounds, func() {
		echo(small)
		echo(large)
	})
	t.Logf("%d bytes allocated per round of a 1 KiB and a 32 KiB echo", perRound)
	// Before, the 32 KiB message alone was 32 KiB a round; what remains
	// is the pools' misses when a goroutine moves between Ps.
	if perRound > 16<<10 {
		t.Errorf("%d bytes allocated per round: the 32 KiB message is not gathered in a pooled buffer", perRound)
	}
}

// A compressed message of one frame larger than the read buffer (here
// about 24 KiB on the wire, 8 KiB buffer) is gathered and inflated by
// fastws's own inflater, from pooled memory, instead of streamed through
// a klauspost reader, which is about 40 KiB new per message.
func TestLargeCompressedFrameMemory(t *testing.T) {
	if testtime.Race {
		t.Skip("allocation figures mean nothing under the race detector (sync.Pool drops items at random); make test's allocs step runs this without it")
	}
	server, client := compressedPair(t, noContextTakeover, noContextTakeover)
	ctx := testCtx(t)
	msg := randomLetters(5, 32<<10)
	buf := make([]byte, 0, 64<<10)
	recv := func() {
		if err := client.WriteMessage(ctx, Text, msg); err != nil {
			t.Fatal(err)
		}
		_, got, err := server.AppendMessage(ctx, buf[:0])
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("message: %d bytes, %v", len(got), err)
		}
	}
	for range 5 {
		recv()
	}
	per := bytesAllocatedPer(50, recv)
	t.Logf("%d bytes allocated per 32 KiB message (both ends)", per)
	if per > 16<<10 {
		t.Errorf("%d bytes allocated per message: the frame was inflated by a new streaming reader", per)
	}
}

// The compressed bytes of a one-frame message gathered before inflating
// count against the memory budget while they arrive, and go back after;
// a budget without room for them has the message inflated as it arrives
// instead, without a refusal.
func TestLargeCompressedFrameMemoryBudget(t *testing.T) {
	msg := randomLetters(6, 32<<10)
	for _, limit := range []int64{1 << 20, 1 << 10} {
		budget := NewMemoryBudget(limit)
		server, client := pair(t, false, &AcceptOptions{Compression: noContextTakeover, ConnOptions: ConnOptions{MemoryBudget: budget}},
			&DialOptions{Compression: noContextTakeover})
		ctx := testCtx(t)
		buf := make([]byte, 0, 64<<10) // the caller's: never counted
		for range 3 {
			if err := client.WriteMessage(ctx, Text, msg); err != nil {
				t.Fatal(err)
			}
			_, got, err := server.AppendMessage(ctx, buf[:0])
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("budget %d: message of %d bytes, %v", limit, len(got), err)
			}
		}
		if budget.InUse() != 0 || budget.Refused() != 0 {
			t.Errorf("budget %d after the messages: %d bytes in use, %d refusals", limit, budget.InUse(), budget.Refused())
		}
	}
}

// bytesAllocatedPer runs f n times and returns the heap bytes allocated
// per run, by every goroutine: both ends of a connection here.
func bytesAllocatedPer(n int, f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(n)
}

// noContextTakeover is permessage-deflate without context takeover either
// way, for both ends of a pair.
var noContextTakeover = &CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true}

// randomLetters returns n random lowercase letters, which compress to
// about three quarters of their size: 32 KiB make a frame of some 24 KiB,
// larger than the 8 KiB read buffer.
func randomLetters(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(r.IntN(26))
	}
	return b
}
