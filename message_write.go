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
	utf8   wsframe.UTF8
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
func (c *Conn) NextWriter(ctx context.Context, typ MessageType) (io.WriteCloser, error) {
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
	written := 0
	for len(p) > 0 {
		if w.buf == nil && len(p) >= writerBufferSize {
			if err := mw.flush(p, false); err != nil {
				return written, err
			}
			return written + len(p), nil
		}
		if w.buf == nil {
			w.buf = bufpool.Get(writerBufferSize)
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

// flush sends payload as the message's next frame.
func (mw *messageWriter) flush(payload []byte, fin bool) error {
	w := &mw.c.wmsg
	op := wsframe.Opcode(w.typ)
	if w.sent {
		op = wsframe.OpContinuation
	}
	w.sent = true
	return mw.c.writeFrame(context.Background(), wsframe.Header{Fin: fin, Opcode: op}, payload, false)
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
	if w.typ == Text && !w.utf8.Complete() {
		err = fmt.Errorf("fastws: cannot send text message ending mid-character: %w", wsframe.ErrInvalidUTF8)
		if w.sent {
			mw.c.failWith(CloseInternalError, "message aborted: text ended mid-character")
		}
	} else {
		err = mw.flush(payload, true)
	}
	if w.buf != nil {
		bufpool.Put(w.buf)
		w.buf = nil
	}
	w.active = false
	mw.c.msgMu.unlock()
	return err
}
