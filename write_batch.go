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

// batchSource is what writeBatch sends: the goroutine driver's queued
// items, or the PreparedMessages given to WritePreparedMessages. A
// struct rather than an interface: a slice converted to an interface is
// allocated, and a slice behind a dynamic call escapes, which would put
// ConnSubscriber's batch array on the heap at every write.
type batchSource struct {
	items []outItem
	pms   []*PreparedMessage
}

func (b *batchSource) len() int { return len(b.items) + len(b.pms) }

// at returns the i-th message: its type, its payload's length and, for a
// plain one, its payload, or its PreparedMessage.
func (b *batchSource) at(i int) (typ MessageType, n int, p []byte, pm *PreparedMessage) {
	if b.pms != nil {
		pm := b.pms[i]
		return pm.typ, len(pm.payload), nil, pm
	}
	it := &b.items[i]
	if it.pm != nil {
		return it.typ, it.n, nil, it.pm
	}
	return it.typ, it.n, (*it.buf)[:it.n], nil
}

// WritePreparedMessages sends pms in order, as WritePrepared would send
// each, in as few writes as it can: the small ones (up to 4 KiB) that go
// out as their shared frame, up to 32 at a time, are gathered into one
// write, which on a broadcast's subscriber saves most of the system calls
// (the hub's ConnSubscriber sends its queue this way). It returns the
// first error; a failed write closes the connection, as for any write.
func (c *Conn) WritePreparedMessages(ctx context.Context, pms []*PreparedMessage) error {
	for len(pms) > 0 {
		n := 0
		for n < len(pms) && n < batchItems && c.batchable(&outItem{typ: pms[n].typ, n: len(pms[n].payload), pm: pms[n]}) {
			n++
		}
		if n < 2 {
			if err := c.WritePrepared(ctx, pms[0]); err != nil {
				return err
			}
			pms = pms[1:]
			continue
		}
		if err := c.writeBatch(ctx, batchSource{pms: pms[:n]}); err != nil {
			return err
		}
		pms = pms[n:]
	}
	return nil
}

// writeBatch sends the messages of src, for each of which batchable
// holds, in order and in one write: each frame is encoded into one
// buffer (a prepared message's shared frame is copied as it is). Against
// one write per message this saves, at full speed, most of the system
// calls a broadcast costs, which are most of its CPU. Plain payloads were
// checked when they were queued (Session.WriteMessage validates text).
func (c *Conn) writeBatch(ctx context.Context, src batchSource) error {
	stop, err := c.beginMessageWrite(ctx)
	if err != nil {
		return err
	}
	defer c.endMessageWrite(stop)
	if c.writeErr != nil {
		return c.writeErr
	}
	if c.isClosed() {
		return ErrClosed
	}
	// Sized for the frames as the connection would encode them; a shared
	// compressed frame that does not fit (incompressible data comes out
	// a few bytes longer) sends what is gathered first.
	count := src.len()
	size := 0
	for i := range count {
		_, n, _, _ := src.at(i)
		size += wsframe.MaxHeaderSize + n
	}
	buf := bufpool.Get(size)
	defer bufpool.Put(buf)
	b := (*buf)[:0]
	for i := range count {
		typ, n, p, pm := src.at(i)
		if pm == nil {
			h := wsframe.Header{Fin: true, Opcode: wsframe.Opcode(typ &^ Uncompressed), Length: int64(n)}
			if err := c.sender.Check(h); err != nil {
				return sendError(h.Opcode, err)
			}
			b = wsframe.AppendHeader(b, h)
			b = append(b, p...)
			continue
		}
		f, h := c.preparedFrame(pm)
		if err := c.sender.Check(h); err != nil {
			return sendError(h.Opcode, err)
		}
		if len(b)+len(f) > cap(b) {
			if err := c.write(b, f); err != nil {
				return ctxErr(ctx, c.writeFailed(err))
			}
			b = b[:0]
			continue
		}
		b = append(b, f...)
	}
	if len(b) > 0 {
		if err := c.write(b, nil); err != nil {
			return ctxErr(ctx, c.writeFailed(err))
		}
	}
	return nil
}
