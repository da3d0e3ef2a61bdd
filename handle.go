//lint:file-ignore U1000 the fast path (the handler type) runs on Unix sockets only, from handle_unix.go

package fastws

import (
	"context"
	"errors"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/wsframe"
)

// errReadInHandler is returned by a read called while a HandleMessages
// handler runs: the handler runs inside the read, so the read would wait
// for itself.
var errReadInHandler = errors.New("fastws: a read while a HandleMessages handler runs (the handler must not read the connection)")

// errHalfHandled is returned by AppendMessage, ReadMessage, NextReader and
// ReadFrame when HandleMessages stopped inside a message (its context
// ended): only HandleMessages can finish that message.
var errHalfHandled = errors.New("fastws: a message is half read by HandleMessages; call HandleMessages again to finish it")

// handleYield is how many messages the fast path of HandleMessages hands
// to its handler before it checks its context and read deadline again:
// while data keeps coming it never waits, and only a wait sees them.
const handleYield = 64

// HandleMessages reads messages and calls handler with each, in order, on
// the calling goroutine, until handler returns an error, ctx ends or the
// connection does. It returns what stopped it: handler's error as it is,
// or what a read would have returned (a *CloseError when the peer closed
// the connection, ctx's error, a timeout, a protocol error).
//
// msg is valid only until handler returns: a message that arrived whole
// in one read is handed over where it lies in the connection's read
// buffer, without a copy. Control frames are acted on as they come, as by
// AppendMessage.
//
// On a TCP or Unix socket without permessage-deflate, HandleMessages runs
// the handler from inside its wait on Go's network poller: it enters the
// wait once for any number of messages instead of once or twice per
// message, and hands over messages where they lie instead of copying them.
// That costs some 3 % less CPU per message than an AppendMessage loop for
// small messages and 8 % for 16 KiB ones (bench/, fastws-handle). The
// price is a deeper stack while the handler runs: a connection whose
// handler writes keeps a 4 KiB goroutine stack where an AppendMessage loop
// keeps 2 KiB. Elsewhere it is an AppendMessage loop into a buffer from a
// pool, which goes back to the pool whenever the connection waits for its
// next message: an idle connection holds no message buffer.
//
// The handler may write (WriteMessage, NextWriter, WriteFrame, Ping without
// waiting for its pong, WriteClose) but must not read the connection:
// such a read returns an error. Close called while the handler runs sends
// the close frame and returns without waiting for the peer's; HandleMessages
// completes the closing handshake and returns the peer's *CloseError.
func (c *Conn) HandleMessages(ctx context.Context, handler func(typ MessageType, msg []byte) error) error {
	// Off the fast path: the gathering buffer is sized as the last
	// message was and kept only while messages follow one another (an
	// idle connection used to hold its last message's, up to 1 MiB).
	var pb *[]byte
	last := 0
	for {
		if c.canHandleFast() {
			again, err := c.handleFast(ctx, handler)
			if !again {
				return err
			}
			continue
		}
		if !c.inputBuffered() {
			if pb != nil {
				bufpool.Put(pb)
				pb = nil
			}
			c.awaitInput(ctx)
		}
		var dst []byte
		if pb == nil && last > 0 {
			pb = bufpool.Get(last)
		}
		if pb != nil {
			dst = (*pb)[:0]
		}
		c.msg.spill.pooled = true
		typ, msg, err := c.AppendMessage(ctx, dst)
		c.msg.spill.pooled = false
		if g := c.msg.spill.takeGrown(); g != nil {
			// The message outgrew dst into a buffer from the pool,
			// which is the gathering buffer from now on.
			bufpool.Put(pb)
			pb = g
		}
		if err != nil {
			bufpool.Put(pb)
			return err
		}
		err = handler(typ, msg)
		last = min(len(msg), bufpool.MaxPooled)
		if pb != nil && cap(msg) > cap(*pb) {
			// The message outgrew the buffer: the next one gets a
			// buffer of its size.
			bufpool.Put(pb)
			pb = nil
		}
		if err != nil {
			bufpool.Put(pb)
			return err
		}
	}
}

// inputBuffered reports whether bytes of the next message, or of one
// being read, are already in: HandleMessages keeps its buffer then.
func (c *Conn) inputBuffered() bool {
	return c.rpos < c.rend || c.msg.active && !c.msg.ended
}

// awaitInput waits, holding no message buffer, until bytes have arrived
// or the read fails. A failure is recorded (or, for a deadline, recurs)
// and the AppendMessage that follows reports it as its own.
func (c *Conn) awaitInput(ctx context.Context) {
	stop, err := c.beginRead(ctx)
	if err != nil {
		return
	}
	defer c.endRead(stop)
	if !c.inputBuffered() {
		_ = c.fill()
	}
}

// canHandleFast reports whether HandleMessages may read the next message
// from inside the poller's wait: a socket, no decompressor (which reads
// frames itself), and no message half read by the other read APIs.
func (c *Conn) canHandleFast() bool {
	m := &c.msg
	return c.sys.raw != nil && c.dfl == nil && !c.frame.active &&
		(!m.active || m.ended && len(m.pending) == 0)
}

// handleFast runs the fast path of HandleMessages until something stops
// it; again says HandleMessages should go on.
func (c *Conn) handleFast(ctx context.Context, handler func(MessageType, []byte) error) (again bool, err error) {
	stop, err := c.beginRead(ctx)
	if err != nil {
		return false, err
	}
	defer c.endRead(stop)
	h := c.handleState()
	h.fn = handler
	exit, err := h.run()
	h.fn = nil
	switch exit {
	case exitYield:
		return true, nil
	case exitHandler:
		return false, err
	case exitClose:
		c.control() // the peer's close frame: answered, or the handshake finished
		return false, ctxErr(ctx, c.readErr)
	case exitParse:
		err = c.failRead(err)
	default:
		err = c.readFailed(err)
	}
	if c.readErr != nil {
		// The connection is over: a message half gathered is lost.
		h.partial, h.big = false, nil
		h.settle()
	}
	return false, ctxErr(ctx, err)
}

// exitReason is why the fast path of HandleMessages stopped.
type exitReason uint8

const (
	exitRead    exitReason = iota // the transport failed, ended or timed out, or ctx ended
	exitYield                     // handleYield messages were handled: check ctx and deadline
	exitHandler                   // the handler returned an error
	exitClose                     // a close frame, which needs the ordinary read path
	exitParse                     // the peer broke a rule
)

// handled hands a whole message to the handler. It is called from inside
// the poller's wait; it reports false if the fast path must stop.
func (h *handler) handled(msg []byte) bool {
	err := h.call(msg)
	h.release()
	if err != nil {
		h.exit, h.err = exitHandler, err
		return false
	}
	if h.count++; h.count >= handleYield {
		h.exit = exitYield
		return false
	}
	return true
}

// call runs the handler, marked as running for reads and Close to see.
func (h *handler) call(msg []byte) error {
	h.c.handling.Store(true)
	defer h.c.handling.Store(false) // a handler that panics leaves the mark too
	return h.fn(h.typ, msg)
}

// data takes the data event in c.ev: a whole message goes to the handler
// at once, parts of a longer one gather in a pooled buffer first. It
// reports false if the fast path must stop.
func (h *handler) data() bool {
	ev := &h.c.ev
	if !h.partial {
		h.typ = MessageType(ev.Message)
		if ev.EndOfMessage() {
			return h.handled(ev.Payload)
		}
		h.partial = true
		h.c.halfHandled = true
	}
	if !h.account(len(ev.Payload)) {
		return false
	}
	h.gather(ev.Payload)
	if !ev.EndOfMessage() {
		return true
	}
	return h.finish()
}

// finish hands the message gathered to the handler.
func (h *handler) finish() bool {
	h.partial = false
	h.c.halfHandled = false
	if h.spill.n > 0 {
		h.assemble(0)
	}
	h.settle() // the message is the handler's now
	if h.big != nil {
		return h.handled(h.big)
	}
	return h.handled(h.msg)
}

// account counts n more bytes gathered against the memory budget; when it
// has no room, the fast path stops and the connection fails with 1013.
func (h *handler) account(n int) bool {
	if !h.c.opts.MemoryBudget.take(int64(n)) {
		h.exit, h.err = exitParse, errMemoryBudget
		return false
	}
	h.held += int64(n)
	return true
}

// settle gives back to the budget what the message took, and the spill's
// chunks to the pool.
func (h *handler) settle() {
	if h.held == 0 && len(h.spill.chunks) == 0 {
		return // the common case, after every message: nothing to give back
	}
	h.c.opts.MemoryBudget.give(h.held)
	h.held = 0
	h.spill.release()
}

// parse parses what the read buffer holds and acts on it. It reports
// false if the fast path must stop.
func (h *handler) parse() bool {
	c := h.c
	for c.rpos < c.rend {
		n, err := c.parser.Next((*c.rbuf)[c.rpos:c.rend], &c.ev)
		c.rpos += n
		if err != nil {
			h.exit, h.err = exitParse, err
			return false
		}
		switch c.ev.Kind {
		case wsframe.ControlEvent:
			if c.ev.Header.Opcode == wsframe.OpClose {
				h.exit = exitClose // answering it reads on: not from in here
				return false
			}
			c.control()
		case wsframe.DataEvent:
			if !h.data() {
				return false
			}
		}
	}
	return true
}

// handler is the fast path's state, made on a connection's first
// HandleMessages and kept: a message interrupted by a timeout continues
// in the next call.
type handler struct {
	c      *Conn
	fn     func(MessageType, []byte) error
	readFn func(fd uintptr) bool // the poller callback, made once

	typ     MessageType
	partial bool    // a message has begun and not ended; its bytes are in msg
	buf     *[]byte // pooled, backing msg
	msg     []byte
	// A message larger than handleKeep goes on in spill, then in big,
	// exactly its size, once that is known (see AppendMessage).
	spill spill
	big   []byte
	into  gatherTarget // where the direct read in progress goes
	// held is what the message being gathered has taken from the
	// connection's memory budget: one byte for each byte gathered.
	held int64

	count int // messages handled in this run
	exit  exitReason
	err   error
}

func (c *Conn) handleState() *handler {
	if c.hs == nil {
		c.hs = newHandler(c)
	}
	return c.hs
}

// gather appends p to the message being gathered: in the kept buffer, up
// to handleKeep; past it in the spill, until the message's size is known
// (its last frame has begun and an eighth of the message has arrived) and
// big can be allocated at exactly that size.
func (h *handler) gather(p []byte) {
	switch {
	case h.big != nil:
		h.big = append(h.big, p...) // big has room: it was sized for the whole message
	case h.spill.n == 0 && len(h.msg)+len(p) <= handleKeep:
		h.grow(len(p))
		h.msg = append(h.msg, p...)
	default:
		h.spill.write(p)
		rem := h.c.parser.Remaining()
		if h.c.ev.Header.Fin && 7*int64(len(h.msg)+h.spill.n) >= rem {
			h.assemble(int(rem))
		}
	}
}

// gatherTarget is where a direct read of payload goes.
type gatherTarget uint8

const (
	intoMsg gatherTarget = iota
	intoBig
	intoSpill
)

// room returns where the next direct read of the current frame's payload
// goes, and notes it in into: msg's spare capacity, grown at most to
// double what has arrived and never past handleKeep; big, sized for the
// whole message once its size is known; or the spill.
func (h *handler) room(rem int64) []byte {
	switch {
	case h.big != nil:
		h.into = intoBig
	case h.spill.n == 0 && len(h.msg) < handleKeep:
		h.into = intoMsg
		if len(h.msg) == cap(h.msg) {
			h.grow(int(min(rem, int64(max(len(h.msg), h.c.opts.readBufferSize())), int64(handleKeep-len(h.msg)))))
		}
		n := int(min(rem, int64(cap(h.msg)-len(h.msg))))
		return h.msg[len(h.msg) : len(h.msg)+n]
	case h.c.ev.Header.Fin && 7*int64(len(h.msg)+h.spill.n) >= rem:
		h.assemble(int(rem))
		h.into = intoBig
	default:
		h.into = intoSpill
		sp := h.spill.space()
		return sp[:min(rem, int64(len(sp)))]
	}
	n := int(min(rem, int64(cap(h.big)-len(h.big))))
	return h.big[len(h.big) : len(h.big)+n]
}

// took records n bytes read into the room last returned.
func (h *handler) took(n int) {
	switch h.into {
	case intoMsg:
		h.msg = h.msg[:len(h.msg)+n]
	case intoBig:
		h.big = h.big[:len(h.big)+n]
	default:
		h.spill.commit(n)
	}
}

// assemble moves the message gathered so far into big, with room for
// more bytes still to come.
//
//go:noinline
func (h *handler) assemble(more int) {
	h.big = make([]byte, 0, len(h.msg)+h.spill.n+more)
	h.big = append(h.big, h.msg...)
	h.big = h.spill.drainTo(h.big)
	h.msg = h.msg[:0]
}

// grow makes room for at least n more bytes in msg.
func (h *handler) grow(n int) {
	if h.buf != nil && len(h.msg)+n <= cap(h.msg) {
		return
	}
	nb := bufpool.Get(max(h.c.opts.readBufferSize(), len(h.msg)+n, 2*len(h.msg)))
	*nb = append((*nb)[:0], h.msg...)
	bufpool.Put(h.buf)
	h.buf, h.msg = nb, *nb
}

// handleKeep bounds the gathering buffer HandleMessages keeps from one
// message to the next, as an AppendMessage loop keeps its buffer: growing
// it again for every large message cost more than the message's own
// reads.
const handleKeep = 1 << 20

// release readies the gathering buffer for the next message, giving it
// back if it grew beyond handleKeep.
func (h *handler) release() {
	h.big = nil
	h.settle()
	switch {
	case h.buf == nil:
	case cap(h.msg) > handleKeep:
		bufpool.Put(h.buf)
		h.buf, h.msg = nil, nil
	default:
		h.msg = h.msg[:0]
	}
}
