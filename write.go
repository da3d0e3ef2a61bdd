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
	// the frame leaves in one plain write; larger ones go out with writev
	// (see writeSmall).
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

// beginMessageWrite takes the message lock and then the wire, for a
// message (or several) sent as whole frames encoded beforehand;
// endMessageWrite lets go of both.
func (c *Conn) beginMessageWrite(ctx context.Context) (stop func() bool, err error) {
	if err := c.msgMu.lock(ctx, c.closed); err != nil {
		return nil, err
	}
	if stop, err = c.beginWrite(ctx); err != nil {
		c.msgMu.unlock()
		return nil, err
	}
	return stop, nil
}

func (c *Conn) endMessageWrite(stop func() bool) {
	c.endWrite(stop)
	c.msgMu.unlock()
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
		return sendError(h.Opcode, err)
	}
	hdr := wsframe.AppendHeader(c.hdr[:0], h)
	var err error
	switch {
	case h.Masked:
		err = c.writeMasked(hdr, h.Mask, payload)
	case len(payload) <= smallFrame:
		err = c.writeSmall(hdr, payload)
	case c.sys.raw != nil:
		// One writev: the socket path is called straight from here
		// because this is the deepest call chain a server's writer
		// goroutine runs (see sysConn).
		err = c.sys.write(hdr, payload)
	default:
		err = c.write(hdr, payload)
	}
	if h.Opcode == wsframe.OpClose {
		c.closeFrameSent()
	}
	if err != nil {
		return c.writeFailed(err)
	}
	return nil
}

// sendError is the error for a frame the sender's rules refuse. It is out
// of line, as is writeFailed, to keep writeFrameLocked's frame small.
//
//go:noinline
func sendError(op wsframe.Opcode, err error) error {
	return fmt.Errorf("fastws: cannot send %v frame: %w", op, err)
}

// writeFailed closes the connection after a failed write: the peer may
// have received part of a frame.
//
//go:noinline
func (c *Conn) writeFailed(err error) error {
	c.writeErr = fmt.Errorf("fastws: write failed, connection closed: %w", err)
	c.closeTransport()
	return c.writeErr
}

// writeSmall sends a small frame's header and payload copied together in
// one write. On a socket, write(2) of the copy was measured cheaper than
// writev(2) of the two parts up to 4 KiB (bench: about 3 % of the server's
// CPU per 20-byte echo); on other transports, TLS say, two Writes would
// make two records.
//
//go:noinline
func (c *Conn) writeSmall(hdr, payload []byte) error {
	buf := bufpool.Get(len(hdr) + len(payload))
	copy(*buf, hdr)
	copy((*buf)[len(hdr):], payload)
	var err error
	if c.sys.raw != nil {
		err = c.sys.write(*buf, nil) // not through c.write: one frame less on the writer's deepest chain
	} else {
		err = c.write(*buf, nil)
	}
	bufpool.Put(buf)
	return err
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
		if err := c.write(b, nil); err != nil {
			return err
		}
		if len(payload) == 0 {
			return nil
		}
		b = b[:0]
	}
}

// write sends a and then b on the transport; either may be empty. A
// socket's takes one system call (writev).
func (c *Conn) write(a, b []byte) error {
	if c.sys.raw != nil {
		return c.sys.write(a, b)
	}
	if len(a) > 0 {
		if _, err := c.t.Write(a); err != nil {
			return err
		}
	}
	if len(b) > 0 {
		_, err := c.t.Write(b)
		return err
	}
	return nil
}

// pong answers a ping with its payload. It is writeControl without a
// context, and leaner: the reader calls it from deep in its call chain.
func (c *Conn) pong(payload []byte) {
	if err := c.wireMu.lock(context.Background(), c.closed); err != nil {
		return
	}
	_ = c.writeFrameLocked(wsframe.Header{Fin: true, Opcode: wsframe.OpPong}, payload)
	c.wireMu.unlock()
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
//
// On a Conn from Dial in the browser (js/wasm) it returns an error: the
// browser's WebSocket API sends whole messages only.
func (c *Conn) WriteFrame(ctx context.Context, f Frame) error {
	if err := c.checkRawFrames(); err != nil {
		return err
	}
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
	c.wireMu.lockAlways()
	c.rawMsg = true
	c.wireMu.unlock()
	return nil
}

// endRawMessage releases the message lock a fragmented WriteFrame message
// held.
func (c *Conn) endRawMessage() {
	c.wireMu.lockAlways()
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
