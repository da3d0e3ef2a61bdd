package fastws

import (
	"context"
	"time"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/internal/deflate"
	"github.com/fastws/fastws/wsframe"
)

// compressedFragment bounds how much compressed output a message streamed
// with NextWriter gathers before sending a frame. Compressed messages go
// out unfragmented up to this size, because some clients (Safari's
// WebSocket stack among them) mishandle fragmented compressed messages.
const compressedFragment = 1 << 20

// deflateState is a connection's permessage-deflate state; nil when the
// extension was not negotiated.
type deflateState struct {
	comp      *deflate.Compressor
	dec       *deflate.Decompressor
	threshold int
	takeover  bool        // the compressor carries context between messages
	idle      *time.Timer // gives the compressor's writer back when idle
	lastComp  int64       // Unix nanoseconds of the last compressed message sent
	src       inflateSource
}

func newDeflateState(c *Conn, z *compression) *deflateState {
	a := z.agreement
	d := &deflateState{
		comp:      deflate.NewCompressor(z.level, a.CompressWindowBits, !a.CompressNoContextTakeover),
		dec:       deflate.NewDecompressor(a.DecompressWindowBits, !a.DecompressNoContextTakeover),
		threshold: z.threshold,
		takeover:  !a.CompressNoContextTakeover,
	}
	d.src.c = c
	return d
}

// compressedMessage is called with msgMu held after each compressed
// message: a compressor that carries context keeps what it borrowed (a
// writer, or at level 1 its encoder's table) while the connection is busy
// and gives it back a second after the last message. A connection is busy
// from its second compressed message within compressorIdleRelease; the
// first after a quiet spell gives it back at once (see keepCompressor).
func (c *Conn) compressedMessage() {
	if !c.dfl.takeover {
		return
	}
	if !keepCompressor(&c.dfl.lastComp, time.Now().UnixNano()) {
		c.dfl.comp.Release()
		return
	}
	if c.dfl.idle == nil {
		c.dfl.idle = time.AfterFunc(compressorIdleRelease, c.releaseCompressor)
		return
	}
	c.dfl.idle.Reset(compressorIdleRelease)
}

// keepCompressor records a compressed message sent at now (Unix
// nanoseconds) after the one at *last, and reports whether the compressor
// should keep what it borrowed: only when the previous message was less
// than compressorIdleRelease ago. Keeping it spares a busy connection the
// rebuild from its history (hashing the window, or priming a flate
// writer) at every message; giving it back after a lone message keeps a
// burst of one message per connection from leaving a 16 KiB table (a
// writer of about 480 KiB at levels 2-9) on every connection for a
// second: right after one 16 KiB echo on each of 1,000 connections the
// tables were 16 of the 36 KiB per connection a loop server held. The
// cost is one rebuild when a connection turns busy.
func keepCompressor(last *int64, now int64) bool {
	prev := *last
	*last = now
	return prev != 0 && now-prev < int64(compressorIdleRelease)
}

func (c *Conn) releaseCompressor() {
	if c.msgMu.tryLock() {
		c.dfl.comp.Release()
		c.msgMu.unlock()
	} else if !c.isClosed() {
		c.dfl.idle.Reset(compressorIdleRelease) // a message is being sent: later
	}
}

// writeCompressed compresses p and sends it as one frame. The wire is
// taken before compressing: once the compressor has taken p into its
// context, the frame must go out, or the peer's context and ours differ.
func (c *Conn) writeCompressed(ctx context.Context, op wsframe.Opcode, p []byte) error {
	stop, err := c.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer c.endWrite(stop)
	buf := bufpool.Get(len(p) + len(p)>>6 + 64)
	out := c.dfl.comp.Compress((*buf)[:0], p)
	c.compressedMessage()
	err = c.writeFrameLocked(wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: op}, out)
	bufpool.Put(buf)
	return ctxErr(ctx, err)
}

// inflateSource feeds a compressed message's payload, as it arrives, to
// the decompressor.
type inflateSource struct {
	c        *Conn
	first    []byte  // the payload of the event that began the message
	fresh    bool    // first has not been handed out
	last     bool    // the message's last payload byte has been parsed
	gathered *[]byte // a one-frame message read whole before inflating, from the pool
	taken    int64   // what gathered holds of the memory budget
}

func (s *inflateSource) begin(ev *wsframe.Event) {
	s.first, s.fresh, s.last = ev.Payload, true, ev.EndOfMessage()
}

// Next returns the next part of the compressed payload, reading from the
// transport when none is buffered. A message of one frame of at most
// deflate.MaxWhole bytes whose payload is not all in the read buffer is
// gathered first, so that fastws's own inflater, which needs the whole
// stream, takes it: a streaming inflater is slower and costs a new
// klauspost reader (about 40 KiB) per message.
func (s *inflateSource) Next() ([]byte, bool, error) {
	if s.fresh {
		s.fresh = false
		if h := s.c.ev.Header; !s.last && h.Fin && h.Length <= deflate.MaxWhole && s.c.opts.MemoryBudget.tryTake(h.Length) {
			return s.gather(int(h.Length))
		}
		return s.first, s.last, nil
	}
	if s.last {
		return nil, true, nil
	}
	if err := s.c.nextData(); err != nil {
		return nil, false, err
	}
	s.last = s.c.ev.EndOfMessage()
	return s.c.ev.Payload, s.last, nil
}

// gather reads the rest of a one-frame message of n bytes, taken from the
// memory budget, into a buffer from the pool; release gives both back.
func (s *inflateSource) gather(n int) ([]byte, bool, error) {
	s.gathered, s.taken = bufpool.Get(n), int64(n)
	b := append((*s.gathered)[:0], s.first...)
	for !s.last {
		if err := s.c.nextData(); err != nil {
			return nil, false, err
		}
		b = append(b, s.c.ev.Payload...)
		s.last = s.c.ev.EndOfMessage()
	}
	*s.gathered = b
	return b, true, nil
}

// release gives back a gathered message, which the decompressor has
// copied by the time Begin returns.
func (s *inflateSource) release() {
	if s.gathered != nil {
		s.c.opts.MemoryBudget.give(s.taken)
		bufpool.Put(s.gathered)
		s.gathered, s.taken = nil, 0
	}
}
