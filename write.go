package fastws

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/wsframe"
)

const (
	// smallFrame is the largest payload copied next to its header so that
	// the frame leaves in one plain write; larger ones go out with writev.
	smallFrame = 4096
	// maskChunk bounds the buffer a client masks a large payload through.
	maskChunk = 64 << 10
)

// beginWrite takes the wire for one frame. The returned function ends it.
func (c *Conn) beginWrite(ctx context.Context) (stop func() bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := c.wireMu.lock(ctx, c.closed); err != nil {
		return nil, err
	}
	return c.wdl.watch(ctx, c.closeFn), nil
}

func (c *Conn) endWrite(stop func() bool) {
	c.wdl.done(stop)
	c.wireMu.unlock()
}

// writeFrame sends one frame. raw says it comes from WriteFrame, whose
// continuation frames must belong to a message WriteFrame began.
func (c *Conn) writeFrame(ctx context.Context, h wsframe.Header, payload []byte, raw bool) error {
	stop, err := c.beginWrite(ctx)
	if err != nil {
		return err
	}
	defer c.endWrite(stop)
	if raw && h.Opcode == wsframe.OpContinuation && !c.rawMsg {
		return fmt.Errorf("fastws: cannot send continuation frame: %w", wsframe.ErrUnexpectedContinuation)
	}
	return ctxErr(ctx, c.writeFrameLocked(h, payload))
}

// writeFrameLocked checks, encodes and sends one frame; the caller holds
// wireMu. A failure after bytes may have left closes the connection, since
// the peer would see a torn frame.
func (c *Conn) writeFrameLocked(h wsframe.Header, payload []byte) error {
	if c.writeErr != nil {
		return c.writeErr
	}
	if c.isClosed() {
		return ErrClosed
	}
	h.Length = int64(len(payload))
	if c.role == ClientSide {
		h.Masked = true
		h.Mask = newMaskKey()
	}
	if err := c.sender.Check(h); err != nil {
		return fmt.Errorf("fastws: cannot send %v frame: %w", h.Opcode, err)
	}
	hdr := wsframe.AppendHeader(c.hdr[:0], h)
	var err error
	switch {
	case h.Masked:
		err = c.writeMasked(hdr, h.Mask, payload)
	case len(payload) <= smallFrame:
		buf := bufpool.Get(len(hdr) + len(payload))
		copy(*buf, hdr)
		copy((*buf)[len(hdr):], payload)
		_, err = c.t.Write(*buf)
		bufpool.Put(buf)
	case c.writev:
		c.vec[0], c.vec[1] = hdr, payload
		c.wv = c.vec[:]
		_, err = c.wv.WriteTo(c.t)
		c.vec[1] = nil // do not keep the caller's payload alive
	default:
		if _, err = c.t.Write(hdr); err == nil {
			_, err = c.t.Write(payload)
		}
	}
	if h.Opcode == wsframe.OpClose {
		c.closeFrameSent()
	}
	if err != nil {
		c.writeErr = fmt.Errorf("fastws: write failed, connection closed: %w", err)
		c.closeTransport()
		return c.writeErr
	}
	return nil
}

// writeMasked masks payload into pooled memory, never touching the
// caller's bytes, and sends it with its header.
func (c *Conn) writeMasked(hdr []byte, key [4]byte, payload []byte) error {
	buf := bufpool.Get(min(len(hdr)+len(payload), maskChunk))
	defer bufpool.Put(buf)
	b := append((*buf)[:0], hdr...)
	pos := 0
	for {
		n := min(len(payload), cap(b)-len(b))
		start := len(b)
		b = append(b, payload[:n]...)
		pos = wsframe.Mask(key, pos, b[start:])
		payload = payload[n:]
		if _, err := c.t.Write(b); err != nil {
			return err
		}
		if len(payload) == 0 {
			return nil
		}
		b = b[:0]
	}
}

// writeControl sends a control frame; control frames may go out between
// the frames of a message, so they take only the wire.
func (c *Conn) writeControl(ctx context.Context, op wsframe.Opcode, payload []byte) error {
	return c.writeFrame(ctx, wsframe.Header{Fin: true, Opcode: op}, payload, false)
}

// WriteFrame sends one frame as given: the raw frame API. The rules of RFC
// 6455 still hold, and breaking one is an error, not a corrupt stream:
// control frames carry at most 125 bytes and are never fragmented, a
// continuation frame must follow a data frame without FIN sent by
// WriteFrame, reserved bits need a negotiated extension, and text must be
// UTF-8 (checked per frame, so a character may not be split across the
// frames of a text message sent this way).
//
// A fragmented message sent with WriteFrame holds the connection's
// message lock from its first frame to its last, so other messages wait
// rather than interleave; its frames should come from one goroutine.
// Control frames may be sent in between.
func (c *Conn) WriteFrame(ctx context.Context, f Frame) error {
	h := wsframe.Header{Fin: f.Fin, Rsv: f.Rsv, Opcode: f.Opcode}
	if f.Opcode == wsframe.OpText && !utf8.Valid(f.Payload) {
		return fmt.Errorf("fastws: cannot send text frame: %w", wsframe.ErrInvalidUTF8)
	}
	if f.Opcode.IsControl() || f.Opcode == wsframe.OpContinuation {
		err := c.writeFrame(ctx, h, f.Payload, true)
		if f.Opcode == wsframe.OpContinuation && f.Fin && err == nil {
			c.endRawMessage()
		}
		return err
	}
	if err := c.msgMu.lock(ctx, c.closed); err != nil {
		return err
	}
	if err := c.writeFrame(ctx, h, f.Payload, true); err != nil || f.Fin {
		c.msgMu.unlock()
		return err
	}
	c.wireMu <- struct{}{}
	c.rawMsg = true
	c.wireMu.unlock()
	return nil
}

// endRawMessage releases the message lock a fragmented WriteFrame message
// held.
func (c *Conn) endRawMessage() {
	c.wireMu <- struct{}{}
	held := c.rawMsg
	c.rawMsg = false
	c.wireMu.unlock()
	if held {
		c.msgMu.unlock()
	}
}

// WriteMessage sends p as one message of type typ, in a single frame.
// Text must be UTF-8. Concurrent calls are safe; messages go out whole, one
// after the other. p is not retained or modified.
//
// With permessage-deflate, a message of at least the compression threshold
// is compressed (unless typ includes Uncompressed), and sent in one frame
// all the same.
func (c *Conn) WriteMessage(ctx context.Context, typ MessageType, p []byte) error {
	compress := c.dfl != nil && typ&Uncompressed == 0 && len(p) >= c.dfl.threshold
	typ &^= Uncompressed
	if typ != Text && typ != Binary {
		return fmt.Errorf("fastws: WriteMessage: invalid message type %d", typ)
	}
	if typ == Text && !utf8.Valid(p) {
		return fmt.Errorf("fastws: cannot send text message: %w", wsframe.ErrInvalidUTF8)
	}
	if err := c.msgMu.lock(ctx, c.closed); err != nil {
		return err
	}
	defer c.msgMu.unlock()
	if compress {
		return c.writeCompressed(ctx, wsframe.Opcode(typ), p)
	}
	return c.writeFrame(ctx, wsframe.Header{Fin: true, Opcode: wsframe.Opcode(typ)}, p, false)
}
