package fastws

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/fastws/fastws/internal/deflate"

	"github.com/fastws/fastws/wsframe"
)

// MessageType is the type of a data message.
type MessageType uint8

// The two message types. Text messages must be UTF-8, which fastws checks
// in both directions.
const (
	Text   MessageType = MessageType(wsframe.OpText)
	Binary MessageType = MessageType(wsframe.OpBinary)
)

// Uncompressed, or'ed with Text or Binary in WriteMessage or NextWriter,
// sends that message uncompressed on a connection with permessage-deflate:
// for data that is already compressed, or too small to gain.
const Uncompressed MessageType = 0x80

func (t MessageType) String() string {
	s := wsframe.Opcode(t &^ Uncompressed).String()
	if t&Uncompressed != 0 {
		s += " (uncompressed)"
	}
	return s
}

// messageReadState is the progress of the message being read through the
// message API. It lives in the Conn so that reading a message allocates
// nothing and an interrupted read can be continued.
type messageReadState struct {
	gen        uint32 // identifies the current message's reader
	active     bool   // a message has begun and its end not yet been handed out
	ended      bool   // the message's last payload byte has been parsed (inflated, if compressed)
	compressed bool   // the message is compressed: its payload comes from the decompressor
	streamed   bool   // NextReader began the message: another read call skips its rest
	typ        MessageType
	pending    []byte // parsed payload not yet handed out; aliases the read buffer
	total      int64  // inflated bytes of a compressed message so far
	got        int64  // bytes of the message AppendMessage has taken so far
	spill      spill  // what AppendMessage took that did not fit its destination
}

// beginMessage skips the rest of any message in progress and waits for the
// first frame of the next one.
func (c *Conn) beginMessage() error {
	if err := c.newMessage(); err != nil {
		return err
	}
	if err := c.nextData(); err != nil {
		return err
	}
	c.startMessage()
	return nil
}

// newMessage skips the rest of any message in progress and gets ready for
// the next one.
func (c *Conn) newMessage() error {
	if c.halfHandled {
		return errHalfHandled
	}
	m := &c.msg
	if m.active && !m.ended {
		if err := c.skipMessage(); err != nil {
			return err
		}
	}
	m.gen++
	m.active = false
	m.streamed = false
	m.pending = nil
	return nil
}

// startMessage records the message that the data event in c.ev begins.
func (c *Conn) startMessage() {
	m := &c.msg
	ev := &c.ev
	m.active = true
	m.typ = MessageType(ev.Message)
	m.compressed = ev.Compressed
	m.got = 0
	if m.compressed {
		m.total = 0
		m.ended = false
		c.dfl.src.begin(ev)
		c.dfl.dec.Begin(&c.dfl.src)
		c.dfl.src.release()
		return
	}
	m.pending = ev.Payload
	m.ended = ev.EndOfMessage()
}

// skipMessage reads the rest of the current message and drops it. A
// compressed message is inflated all the same: with context takeover the
// next message may refer to its bytes.
func (c *Conn) skipMessage() error {
	m := &c.msg
	var scratch [512]byte
	for !m.ended {
		var err error
		if m.compressed {
			_, err = c.readInflated(scratch[:])
		} else {
			err = c.nextMessagePart()
		}
		if err != nil && err != io.EOF {
			return err
		}
	}
	return nil
}

// nextMessagePart parses the next data event of the current
// (uncompressed) message and records it as pending.
func (c *Conn) nextMessagePart() error {
	if err := c.nextData(); err != nil {
		return err
	}
	c.msg.pending = c.ev.Payload
	c.msg.ended = c.ev.EndOfMessage()
	return nil
}

// readInflated inflates the next bytes of the current compressed message
// into p (never more than the message size limit allows, plus one byte to
// notice the excess) and checks them: size and, for text, UTF-8. It
// reports io.EOF with the message's last bytes.
func (c *Conn) readInflated(p []byte) (int, error) {
	m := &c.msg
	if c.maxMsg > 0 {
		p = p[:min(int64(len(p)), c.maxMsg-m.total+1)]
	}
	n, err := c.dfl.dec.Read(p)
	m.total += int64(n)
	end := err == io.EOF
	if cerr := c.parser.CheckInflated(p[:n], m.total, m.typ == Text, end); cerr != nil {
		c.dfl.dec.End()
		if c.maxMsg > 0 && m.total > c.maxMsg {
			n -= int(m.total - c.maxMsg) // the byte that showed the excess is not handed out
		}
		return n, c.failRead(cerr)
	}
	switch {
	case end:
		m.ended = true
		return n, io.EOF
	case err == nil:
		return n, nil
	case c.readErr != nil:
		return n, c.readErr // the transport or the frames failed
	case errors.Is(err, deflate.ErrCorrupt):
		return n, c.failRead(wsframe.ErrInflate)
	}
	// A timeout or a cancelled context inside a compressed message: the
	// inflater cannot resume half-way through its input.
	c.readErr = fmt.Errorf("fastws: read interrupted inside a compressed message, connection closed: %w", err)
	c.closeTransport()
	return n, c.readErr
}

// AppendMessage reads the next message and appends its payload to dst,
// returning the extended slice: with a dst of enough capacity it allocates
// nothing. Fragments are reassembled; control frames between them are acted
// on.
//
// Memory follows the bytes that arrive, never what a header announces.
// When dst is too small, a message of n bytes costs one allocation of
// exactly what it needs, and holds at most about 1.125 n + 64 KiB at its
// peak when it arrives as one frame (its size is then known once an
// eighth of it has arrived) and 2 n + 64 KiB otherwise (fragments, or a
// compressed message: the bytes wait in pooled chunks until the size is
// known). A message that breaks MaxMessageSize is refused having held at
// most the limit plus 64 KiB, decompression bombs included.
//
// If ctx ends or the read deadline passes mid-message, AppendMessage
// returns what it has read so far with the error; the next call continues
// the same message, so nothing is lost (except inside a compressed
// message, which cannot be resumed: the connection fails). A message
// begun with NextReader and not read to its end is skipped.
func (c *Conn) AppendMessage(ctx context.Context, dst []byte) (MessageType, []byte, error) {
	stop, err := c.beginRead(ctx)
	if err != nil {
		return 0, dst, err
	}
	defer c.endRead(stop)
	// The wait for the message is in this function rather than in a
	// helper: it is where an idle connection parks, and every frame
	// between here and the system call adds to its stack (see sysConn).
	// For the same reason anything that needs more than a few words of
	// stack is out of line.
	m := &c.msg
	ev := &c.ev
	if !m.active || m.streamed || m.ended && len(m.pending) == 0 {
		if err := c.newMessage(); err != nil {
			return 0, dst, ctxErr(ctx, err)
		}
		for !m.active {
			if err := c.next(); err != nil {
				return 0, dst, ctxErr(ctx, err)
			}
			if ev.Kind == wsframe.DataEvent {
				c.startMessage()
			}
		}
	}
	if m.compressed {
		return c.appendInflated(ctx, dst)
	}
	for {
		if len(m.pending) > 0 {
			var err error
			if dst, err = c.takePending(dst); err != nil {
				return m.typ, c.partial(dst), err
			}
		}
		if m.ended {
			m.active = false
			return m.typ, m.handOver(dst), nil
		}
		rem := c.parser.Remaining()
		if c.rpos < c.rend || rem < directReadMin {
			if err := c.next(); err != nil {
				return m.typ, c.partial(dst), ctxErr(ctx, err)
			}
			if ev.Kind == wsframe.DataEvent {
				m.pending = ev.Payload
				m.ended = ev.EndOfMessage()
			}
			continue
		}
		// Read the rest of this frame straight into its destination.
		var p []byte
		var spilled bool
		dst, p, spilled = c.directTarget(dst, rem)
		if p == nil {
			return m.typ, c.partial(dst), c.failRead(errMemoryBudget)
		}
		n, err := c.readDirect(p)
		m.got += int64(n)
		if spilled {
			m.spill.commit(n)
		} else {
			dst = dst[:len(dst)+n]
		}
		if err != nil {
			return m.typ, c.partial(dst), ctxErr(ctx, err)
		}
		m.ended = ev.EndOfMessage()
	}
}

// partial is what AppendMessage returns when a read fails mid-message:
// after a timeout, everything read so far (the next call continues the
// message); after a failure that ends the connection, dst as it is, the
// spill going back to the pool.
//
//go:noinline
func (c *Conn) partial(dst []byte) []byte {
	if c.readErr != nil {
		c.msg.spill.settle()
		return dst
	}
	return c.msg.handOver(dst)
}

// handOver appends what the spill holds to dst and ends the account of
// the message's memory with the budget: from here on dst is the caller's.
func (m *messageReadState) handOver(dst []byte) []byte {
	dst = m.spill.drainTo(dst)
	m.spill.settle()
	return dst
}

// takePending moves the pending payload into dst, or into the spill when
// dst has no room for it and the message goes on: its size is unknown.
//
//go:noinline
func (c *Conn) takePending(dst []byte) ([]byte, error) {
	m := &c.msg
	m.got += int64(len(m.pending))
	switch {
	case m.spill.n == 0 && cap(dst)-len(dst) >= len(m.pending):
		dst = append(dst, m.pending...)
	case m.spill.n == 0 && m.ended:
		// The last part: the message's size is known now.
		dst = append(m.spill.grow(dst, len(m.pending)), m.pending...)
	case !m.spill.write(m.pending):
		return dst, c.failRead(errMemoryBudget)
	}
	m.pending = nil
	return dst, nil
}

// directTarget returns where to read the next rem bytes of the current
// frame: the room left in dst; dst grown to exactly the message's size,
// when this frame ends the message and enough of it has arrived (an
// eighth: memory follows the bytes that arrive, and the spill then holds
// little); or the spill's room, which spilled reports. p is nil when the
// memory budget has no room for the message.
//
//go:noinline
func (c *Conn) directTarget(dst []byte, rem int64) (_, p []byte, spilled bool) {
	m := &c.msg
	room := cap(dst) - len(dst)
	if m.spill.n == 0 && int64(room) >= min(rem, directReadMin) {
		return dst, dst[len(dst) : len(dst)+int(min(rem, int64(room)))], false
	}
	if c.ev.Header.Fin && 7*m.got >= rem {
		if cap(dst)-len(dst) < m.spill.n+int(rem) && !m.spill.reserveExact(len(dst)+m.spill.n+int(rem)) {
			return dst, nil, false
		}
		dst = m.spill.drainTo(m.spill.grow(dst, m.spill.n+int(rem)))
		return dst, dst[len(dst) : len(dst)+int(rem)], false
	}
	sp := m.spill.space()
	if sp == nil {
		return dst, nil, true
	}
	return dst, sp[:min(rem, int64(len(sp)))], true
}

// appendInflated appends the rest of the current compressed message to
// dst: into its room while it has some, then into the spill.
func (c *Conn) appendInflated(ctx context.Context, dst []byte) (MessageType, []byte, error) {
	m := &c.msg
	for !m.ended {
		inDst := m.spill.n == 0 && cap(dst)-len(dst) > 0
		var p []byte
		if inDst {
			p = dst[len(dst):cap(dst)]
		} else if p = m.spill.space(); p == nil {
			m.spill.settle()
			return m.typ, dst, c.failRead(errMemoryBudget)
		}
		n, err := c.readInflated(p)
		if inDst {
			dst = dst[:len(dst)+n]
		} else {
			m.spill.commit(n)
		}
		if err != nil && err != io.EOF {
			m.spill.settle() // the connection has failed: the message is lost
			return m.typ, dst, ctxErr(ctx, err)
		}
	}
	m.active = false
	return m.typ, m.handOver(dst), nil
}

// endIfDone reports io.EOF to an eager reader whose message has been read
// to its end.
func (r *messageReader) endIfDone(m *messageReadState) error {
	if r.eager && m.ended && len(m.pending) == 0 {
		m.active = false
		return io.EOF
	}
	return nil
}

// ReadMessage reads the next message into newly allocated memory that the
// caller owns. AppendMessage does the same without allocating.
func (c *Conn) ReadMessage(ctx context.Context) (MessageType, []byte, error) {
	return c.AppendMessage(ctx, nil)
}

// NextReader waits for the next message and returns its type and a reader
// for its payload, which streams: memory use does not depend on the
// message's size. ctx bounds the wait for the message to begin; reads from
// the returned reader are bounded by the read deadline. The reader returns
// io.EOF at the message's end, and ErrWriterClosed once the next message
// has begun. Calling NextReader before the previous reader reached EOF
// discards the rest of that message.
func (c *Conn) NextReader(ctx context.Context) (MessageType, io.Reader, error) {
	typ, gen, err := c.nextStreamed(ctx)
	if err != nil {
		return 0, nil, err
	}
	return typ, &messageReader{c: c, gen: gen}, nil
}

// nextStreamed starts the next message as one read as a stream, and
// returns its type and generation, which a messageReader needs: a Stream
// keeps one messageReader for all its messages rather than a new one
// for each.
func (c *Conn) nextStreamed(ctx context.Context) (MessageType, uint32, error) {
	stop, err := c.beginRead(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer c.endRead(stop)
	if err := c.beginMessage(); err != nil {
		return 0, 0, ctxErr(ctx, err)
	}
	c.msg.streamed = true
	return c.msg.typ, c.msg.gen, nil
}

type messageReader struct {
	c   *Conn
	gen uint32
	// eager readers return io.EOF with the message's last bytes, so their
	// user learns of the end without another call (Stream needs to know
	// when no message is half read).
	eager bool
}

// Read reads payload of the message, copying from the read buffer or, for
// large reads, reading straight into p.
func (r *messageReader) Read(p []byte) (int, error) {
	c := r.c
	stop, err := c.beginRead(context.Background())
	if err != nil {
		return 0, err
	}
	defer c.endRead(stop)
	m := &c.msg
	if r.gen != m.gen {
		return 0, ErrWriterClosed
	}
	if m.compressed {
		if m.ended || len(p) == 0 {
			if m.ended {
				m.active = false
				return 0, io.EOF
			}
			return 0, nil
		}
		n, err := c.readInflated(p)
		if err == io.EOF {
			if n > 0 && !r.eager {
				return n, nil // the next Read reports the end
			}
			m.active = false
		}
		return n, err
	}
	for {
		if len(m.pending) > 0 {
			n := copy(p, m.pending)
			m.pending = m.pending[n:]
			return n, r.endIfDone(m)
		}
		if !m.active || m.ended {
			m.active = false
			return 0, io.EOF
		}
		if len(p) == 0 {
			return 0, nil
		}
		rem := c.parser.Remaining()
		if c.rpos == c.rend && rem >= directReadMin && len(p) >= directReadMin {
			n, err := c.readDirect(p[:min(int64(len(p)), rem)])
			if err != nil {
				return 0, err
			}
			m.ended = c.ev.EndOfMessage()
			if n > 0 {
				return n, r.endIfDone(m)
			}
			continue
		}
		if err := c.nextMessagePart(); err != nil {
			return 0, err
		}
	}
}
