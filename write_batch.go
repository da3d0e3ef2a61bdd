package fastws

import (
	"context"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/wsframe"
)

// batchItems bounds how many queued messages the goroutine driver's
// writer sends in one write. Only messages of at most smallFrame bytes are
// gathered, so a batch copies at most batchItems*smallFrame bytes (128
// KiB) into one pooled buffer; larger messages go out on their own, with
// writev of their header and payload, as before.
const batchItems = 32

// batchable reports whether the writer may gather it with other queued
// messages into one write: a data message of at most smallFrame bytes
// whose frame needs none of the connection's compression state (the
// connection does not compress it, or it is a prepared message whose
// shared frame fits the connection's settings).
func (c *Conn) batchable(it *outItem) bool {
	if it.op != 0 || it.n > smallFrame || c.role == ClientSide {
		return false
	}
	d := c.dfl
	if d == nil || it.typ&Uncompressed != 0 || it.n < d.threshold {
		return true
	}
	return it.pm != nil && !d.takeover
}

// writeBatch sends items, data messages for which batchable holds, in
// order and in one write: each frame is encoded into one buffer (a
// prepared message's shared frame is copied as it is). Against one write
// per message this saves, at full speed, most of the system calls a
// broadcast costs, which are most of its CPU. The payloads were checked
// when they were queued (Session.WriteMessage validates text).
func (c *Conn) writeBatch(items []outItem) error {
	ctx := context.Background()
	if err := c.msgMu.lock(ctx, c.closed); err != nil {
		return err
	}
	defer c.msgMu.unlock()
	if err := c.wireMu.lock(ctx, c.closed); err != nil {
		return err
	}
	defer c.wireMu.unlock()
	if c.writeErr != nil {
		return c.writeErr
	}
	if c.isClosed() {
		return ErrClosed
	}
	// Sized for the frames as the connection would encode them; a shared
	// compressed frame that does not fit (incompressible data comes out
	// a few bytes longer) sends what is gathered first.
	size := 0
	for i := range items {
		size += wsframe.MaxHeaderSize + items[i].n
	}
	buf := bufpool.Get(size)
	defer bufpool.Put(buf)
	b := (*buf)[:0]
	for i := range items {
		it := &items[i]
		h := wsframe.Header{Fin: true, Opcode: wsframe.Opcode(it.typ &^ Uncompressed), Length: int64(it.n)}
		if it.pm == nil {
			if err := c.sender.Check(h); err != nil {
				return sendError(h.Opcode, err)
			}
			b = wsframe.AppendHeader(b, h)
			b = append(b, (*it.buf)[:it.n]...)
			continue
		}
		f := it.pm.frame
		if c.dfl != nil {
			f = *it.pm.sharedFrame(c.dfl.comp, c.dfl.threshold)
			if f[0]&0x40 != 0 {
				h.Rsv = wsframe.Rsv1
			}
		}
		if err := c.sender.Check(h); err != nil {
			return sendError(h.Opcode, err)
		}
		if len(b)+len(f) > cap(b) {
			if err := c.write(b, f); err != nil {
				return c.writeFailed(err)
			}
			b = b[:0]
			continue
		}
		b = append(b, f...)
	}
	if len(b) > 0 {
		if err := c.write(b, nil); err != nil {
			return c.writeFailed(err)
		}
	}
	return nil
}
