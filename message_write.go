package fastws

import (
	"context"
	"fmt"
	"io"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/wsframe"
)

// writerBufferSize is how much a streamed message gathers before it sends
// a frame; writes at least this large go out as their own frame, uncopied.
const writerBufferSize = 16 << 10

// messageWriteState is the message being streamed by NextWriter. It is
// guarded by msgMu, which the writer holds from NextWriter to Close.
type messageWriteState struct {
	gen    uint32
	active bool
	typ    MessageType
	sent   bool // a frame of the message has gone out
	buf    *[]byte
	// compressed: the payload goes through the connection's compressor,
	// whose output gathers in cbuf.
	compressed bool
	cbuf       *[]byte
	limit      int // largest frame payload, 0 for the defaults
	utf8       wsframe.UTF8
}

// NextWriter starts a message of type typ and returns a writer for its
// payload, which streams: the payload goes out in frames as it is written,
// so memory use does not depend on the message's size. Close sends the
// final frame. Other messages wait until then; control frames (pongs,
// pings, close) may go out between the frames. Text must be UTF-8, checked
// as it is written, across Write calls.
//
// ctx bounds the wait to start the message; writes are bounded by the write
// deadline. The writer must be closed; after Close it returns
// ErrWriterClosed.
//
// With permessage-deflate the message is compressed (unless typ includes
// Uncompressed), and sent as one frame as long as its compressed size
// stays under 1 MiB: some clients mishandle fragmented compressed
// messages. Larger ones go out in 1 MiB frames.
func (c *Conn) NextWriter(ctx context.Context, typ MessageType) (io.WriteCloser, error) {
	w, err := c.nextWriter(ctx, typ, 0)
	if err != nil {
		return nil, err // not a typed nil inside the interface
	}
	return w, nil
}

// nextWriter is NextWriter with frames of at most limit payload bytes
// (0: the defaults).
func (c *Conn) nextWriter(ctx context.Context, typ MessageType, limit int) (*messageWriter, error) {
	compressed := c.dfl != nil && typ&Uncompressed == 0
	typ &^= Uncompressed
	if typ != Text && typ != Binary {
		return nil, fmt.Errorf("fastws: NextWriter: invalid message type %d", typ)
	}
	if err := c.msgMu.lock(ctx, c.closed); err != nil {
		return nil, err
	}
	w := &c.wmsg
	w.gen++
	w.active = true
	w.typ = typ
	w.sent = false
	w.utf8.Reset()
	w.compressed = compressed
	w.limit = limit
	if compressed {
		w.cbuf = bufpool.Get(writerBufferSize)
		c.dfl.comp.Begin((*w.cbuf)[:0])
	}
	return &messageWriter{c: c, gen: w.gen}, nil
}

type messageWriter struct {
	c   *Conn
	gen uint32
}

func (mw *messageWriter) state() (*messageWriteState, error) {
	w := &mw.c.wmsg
	if mw.gen != w.gen || !w.active {
		return nil, ErrWriterClosed
	}
	return w, nil
}

// Write adds p to the message.
func (mw *messageWriter) Write(p []byte) (int, error) {
	w, err := mw.state()
	if err != nil {
		return 0, err
	}
	if w.typ == Text {
		saved := w.utf8
		if !w.utf8.Feed(p) {
			w.utf8 = saved // the bytes are refused; the message can go on
			return 0, fmt.Errorf("fastws: cannot send text message: %w", wsframe.ErrInvalidUTF8)
		}
	}
	if w.compressed {
		return mw.writeCompressed(p)
	}
	frame := writerBufferSize
	if w.limit > 0 {
		frame = min(frame, w.limit)
	}
	written := 0
	for len(p) > 0 {
		if w.buf == nil && len(p) >= frame {
			// Large writes go out uncopied, in frames within the limit.
			n := len(p)
			if w.limit > 0 {
				n = min(n, w.limit)
			}
			if err := mw.flush(p[:n], false); err != nil {
				return written, err
			}
			p, written = p[n:], written+n
			continue
		}
		if w.buf == nil {
			w.buf = bufpool.Get(frame)
			*w.buf = (*w.buf)[:0]
		}
		b := *w.buf
		n := copy(b[len(b):cap(b)], p)
		*w.buf = b[:len(b)+n]
		p = p[n:]
		written += n
		if len(*w.buf) == cap(*w.buf) {
			if err := mw.flush(*w.buf, false); err != nil {
				return written, err
			}
			*w.buf = (*w.buf)[:0]
		}
	}
	return written, nil
}

// writeCompressed feeds p to the compressor, sending a frame whenever a
// megabyte of compressed output has gathered. Without a sync flush the
// output holds no part of the tail a message ends with, so all of it can go.
func (mw *messageWriter) writeCompressed(p []byte) (int, error) {
	comp := mw.c.dfl.comp
	comp.Write(p)
	gather := compressedFragment
	if w := &mw.c.wmsg; w.limit > 0 {
		gather = w.limit
	}
	for out := comp.Output(); len(out) >= gather; out = comp.Output() {
		if err := mw.flush(out[:gather], false); err != nil {
			return 0, err
		}
		comp.Consume(gather)
	}
	return len(p), nil
}

// flush sends payload as the message's next frame; the first frame of a
// compressed message carries RSV1.
func (mw *messageWriter) flush(payload []byte, fin bool) error {
	w := &mw.c.wmsg
	h := wsframe.Header{Fin: fin, Opcode: wsframe.Opcode(w.typ)}
	if w.sent {
		h.Opcode = wsframe.OpContinuation
	} else if w.compressed {
		h.Rsv = wsframe.Rsv1
	}
	w.sent = true
	return mw.c.writeFrame(context.Background(), h, payload, false)
}

// Close sends what is buffered as the message's final frame and lets the
// next message go.
//
// A text message that ends inside a UTF-8 sequence cannot be finished
// validly: if none of it was sent yet it is dropped and the connection goes
// on; otherwise the connection is closed with 1011, since the peer already
// holds part of a message that can never be completed.
func (mw *messageWriter) Close() error {
	w, err := mw.state()
	if err != nil {
		return err
	}
	var payload []byte
	if w.buf != nil {
		payload = *w.buf
	}
	switch {
	case w.typ == Text && !w.utf8.Complete():
		err = fmt.Errorf("fastws: cannot send text message ending mid-character: %w", wsframe.ErrInvalidUTF8)
		if w.sent || w.compressed {
			// The peer holds part of the message, or the compressor's
			// context holds bytes the peer will never see.
			mw.c.failWith(CloseInternalError, "message aborted: text ended mid-character")
		}
	case w.compressed:
		out := mw.c.dfl.comp.End()
		for w.limit > 0 && len(out) > w.limit && err == nil {
			err = mw.flush(out[:w.limit], false)
			out = out[w.limit:]
		}
		if err == nil {
			err = mw.flush(out, true)
		}
		mw.c.compressedMessage()
	default:
		err = mw.flush(payload, true)
	}
	if w.cbuf != nil {
		bufpool.Put(w.cbuf)
		w.cbuf = nil
	}
	if w.buf != nil {
		bufpool.Put(w.buf)
		w.buf = nil
	}
	w.active = false
	mw.c.msgMu.unlock()
	return err
}
