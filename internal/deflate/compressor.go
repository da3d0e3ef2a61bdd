package deflate

import (
	"io"
	"runtime"
	"sync"

	"github.com/klauspost/compress/flate"
)

// tail is what a sync flush ends with; RFC 7692 section 7.2.1 has the
// sender remove it from every message.
var tail = []byte{0x00, 0x00, 0xff, 0xff}

// Flate writers are large (a level-1 writer is 488 KiB, with its history
// buffer 808 KiB once used), so they live in pools, one per level and
// window size, and a connection borrows one only while it compresses.
var writerPools [10][16]writerPool

// writerPool keeps up to keptWriters writers out of the garbage
// collector's reach, and any more in a sync.Pool. A sync.Pool alone is
// emptied by every second collection, and a burst of compressed messages
// runs many: 1,000 connections each echoing one 16 KiB message without
// context takeover allocated some 35 new writers (28 MiB) between
// collections, the largest share of the server's memory right after the
// burst. Writers in use at once are about as many as goroutines
// compressing at once, so a few kept cover a busy server; a server that
// has compressed keeps at most keptWriters of them per setting it used,
// idle or not (0.8 MiB each at level 1).
type writerPool struct {
	mu   sync.Mutex
	kept []*flate.Writer
	more sync.Pool
}

// keptWriters is how many writers a pool keeps through collections: one
// per CPU, from 2 to 8.
var keptWriters = min(max(runtime.NumCPU(), 2), 8)

func (p *writerPool) get() *flate.Writer {
	p.mu.Lock()
	if n := len(p.kept); n > 0 {
		w := p.kept[n-1]
		p.kept[n-1] = nil
		p.kept = p.kept[:n-1]
		p.mu.Unlock()
		return w
	}
	p.mu.Unlock()
	if v := p.more.Get(); v != nil {
		return v.(*flate.Writer)
	}
	return nil
}

func (p *writerPool) put(w *flate.Writer) {
	p.mu.Lock()
	if len(p.kept) < keptWriters {
		p.kept = append(p.kept, w)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.more.Put(w)
}

// FillWriterPool makes the pool of a level and window hold all the
// writers it keeps, as a busy server's does: tests that measure memory
// per connection call it first, so as not to count what the pool keeps
// for the whole process.
func FillWriterPool(level, bits int) {
	ws := make([]*flate.Writer, keptWriters)
	for i := range ws {
		ws[i] = getWriter(level, bits)
		ws[i].ResetDict(io.Discard, nil)
		_, _ = ws[i].Write([]byte("x")) // a writer allocates its history at first use
		_ = ws[i].Flush()
	}
	for _, w := range ws {
		putWriter(level, bits, w)
	}
}

func getWriter(level, bits int) *flate.Writer {
	if w := writerPools[level][bits].get(); w != nil {
		return w
	}
	var w *flate.Writer
	if bits < 15 {
		w, _ = flate.NewWriterWindow(nil, 1<<bits)
	} else {
		w, _ = flate.NewWriter(nil, level)
	}
	return w
}

func putWriter(level, bits int, w *flate.Writer) {
	// ResetDict, not Reset: Reset would prime the writer again with the
	// dictionary it last had, and the next borrower, on another
	// connection, would compress against this one's history.
	w.ResetDict(nil, nil)
	writerPools[level][bits].put(w)
}

// Compressor compresses the messages one endpoint sends.
//
// With context takeover at level 1 (the default) it runs fastws's own
// encoder (encoder.go): the connection keeps its history (the last
// 2^bits bytes sent, in a buffer of at most 2^bits + 16 KiB that grows
// with what was sent) and, while busy, a 16 KiB hash table, which Release
// gives back to a pool and the next message rebuilds from the history.
//
// Otherwise it runs klauspost/compress's flate.Writer, borrowed from a
// pool: without context takeover for one message at a time (klauspost's
// level 1 is faster than fastws's encoder when there is no history to
// keep); at levels 2-9 with context takeover it keeps the last 2^bits
// bytes of plaintext (at most 32 KiB), which primes a pooled writer for
// the next message, and a writer stays attached between messages of a
// busy connection until Release.
type Compressor struct {
	level    int
	bits     int
	takeover bool
	enc      *encoder // level 1 with context takeover
	hist     window   // levels 2-9 with context takeover
	w        *flate.Writer
	out      *appender
}

// appender collects a writer's output in a caller's slice.
type appender struct{ buf []byte }

func (a *appender) Write(p []byte) (int, error) {
	a.buf = append(a.buf, p...)
	return len(p), nil
}

// NewCompressor returns a compressor at level (1–9) with a window of 2^bits
// bytes (8–15), carrying context between messages when takeover is set.
func NewCompressor(level, bits int, takeover bool) *Compressor {
	if level < 1 || level > 9 {
		level = 1
	}
	if bits < 8 || bits > 15 {
		bits = 15
	}
	c := &Compressor{level: level, bits: bits, takeover: takeover, out: &appender{}}
	switch {
	case level == 1 && takeover:
		c.enc = newEncoder(bits)
	case takeover:
		c.hist = window{limit: 1 << bits}
	}
	return c
}

// Compress appends the compressed form of a whole message to dst, without
// the trailing 0x00 0x00 0xff 0xff.
func (c *Compressor) Compress(dst, msg []byte) []byte {
	c.Begin(dst)
	c.Write(msg)
	return c.End()
}

// Begin starts a message whose compressed bytes are appended to dst. An
// attached writer simply goes on: its stream carries the context. A new
// one is primed from the window, so that it can refer to the same history
// the peer's decompressor holds.
func (c *Compressor) Begin(dst []byte) {
	if c.enc != nil {
		c.enc.bw.out = dst
		return
	}
	c.out.buf = dst
	if c.w != nil {
		return
	}
	c.w = getWriter(c.level, c.bits)
	var dict []byte
	if c.takeover {
		dict = c.hist.bytes()
	}
	c.w.ResetDict(c.out, dict)
}

// Write compresses the next part of the message.
func (c *Compressor) Write(p []byte) {
	if c.enc != nil {
		c.enc.write(p)
		return
	}
	_, _ = c.w.Write(p) // writes to memory cannot fail
	if c.takeover {
		c.hist.write(p)
	}
}

// Output returns what has been compressed so far; the last 4 bytes may
// belong to the sync-flush tail and must not be sent before End.
func (c *Compressor) Output() []byte {
	if c.enc != nil {
		return c.enc.bw.out
	}
	return c.out.buf
}

// Flush makes everything written so far available in Output.
func (c *Compressor) Flush() {
	if c.enc != nil {
		c.enc.flush()
		return
	}
	_ = c.w.Flush()
}

// Consume drops the first n bytes of Output, once they have been sent.
func (c *Compressor) Consume(n int) {
	if c.enc != nil {
		b := c.enc.bw.out
		c.enc.bw.out = b[:copy(b, b[n:])]
		return
	}
	c.out.buf = c.out.buf[:copy(c.out.buf, c.out.buf[n:])]
}

// End finishes the message and returns its compressed bytes, without the
// tail. Without context takeover the writer goes back to its pool.
func (c *Compressor) End() []byte {
	var b []byte
	if c.enc != nil {
		c.enc.flush()
		b, c.enc.bw.out = c.enc.bw.out, nil
	} else {
		_ = c.w.Flush()
		b, c.out.buf = c.out.buf, nil
	}
	if len(b) >= 4 && string(b[len(b)-4:]) == string(tail) {
		b = b[:len(b)-4]
	}
	if !c.takeover {
		c.Release()
	}
	return b
}

// Release gives a borrowed writer, or the encoder's table, back to its
// pool; the next message borrows one again and primes it from the
// history. An idle connection holds only its history.
func (c *Compressor) Release() {
	if c.w != nil {
		putWriter(c.level, c.bits, c.w)
		c.w = nil
	}
	if c.enc != nil {
		c.enc.release()
	}
}

// Idle reports whether the compressor holds nothing Release would give
// back.
func (c *Compressor) Idle() bool { return c.w == nil && (c.enc == nil || c.enc.table == nil) }

// Shared reports the level and window of a compressor that carries no
// context between messages: its output for a message depends on nothing
// else, so one compressed frame can go to every connection with the same
// level and window. ok is false with context takeover.
func (c *Compressor) Shared() (level, bits int, ok bool) {
	return c.level, c.bits, !c.takeover
}
