package fastws

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/wsframe"
)

// directReadMin is the smallest payload remainder worth reading straight
// into the caller's memory instead of through the read buffer: below it,
// the read buffer's chance of catching the next frames in the same system
// call wins.
const directReadMin = 2048

// beginRead takes the read side for one call. The returned function ends it.
func (c *Conn) beginRead(ctx context.Context) (stop func() bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if c.handling.Load() {
		return nil, errReadInHandler
	}
	if err := c.readMu.lock(ctx, c.closed); err != nil {
		if c.readErr != nil {
			return nil, c.readErr
		}
		return nil, err
	}
	if c.readErr != nil {
		c.releaseReadBuffers()
		err := c.readErr
		c.readMu.unlock()
		return nil, err
	}
	return c.rdl.watch(ctx, c.closeFn), nil
}

func (c *Conn) endRead(stop func() bool) {
	c.rdl.done(stop)
	c.readMu.unlock()
}

// releaseReadBuffers gives the read buffers back once the read side is
// finished for good.
func (c *Conn) releaseReadBuffers() {
	if c.rbuf != nil && c.rpos >= c.rend {
		bufpool.Put(c.rbuf)
		c.rbuf = nil
	}
	c.frame.release()
}

// next parses the next data or control event into c.ev, reading from the
// transport as needed. Control frames have been acted on (pong sent, close
// answered) when it returns them.
//
// The event stays in the Conn rather than being returned: it would be
// copied into the frame of every function on the way up, and the depth of
// the read path decides how large a connection's stack grows (sysConn).
func (c *Conn) next() error {
	for {
		if c.rpos < c.rend {
			n, err := c.parser.Next((*c.rbuf)[c.rpos:c.rend], &c.ev)
			c.rpos += n
			switch {
			case err != nil:
				return c.failRead(err)
			case c.ev.Kind == wsframe.NoEvent:
				continue
			case c.ev.Kind == wsframe.ControlEvent:
				c.control()
			}
			return nil
		}
		if c.readErr != nil {
			return c.readErr
		}
		if err := c.fill(); err != nil {
			return err
		}
	}
}

// nextData is next until a data event, acting on control frames on the
// way.
func (c *Conn) nextData() error {
	for {
		if err := c.next(); err != nil || c.ev.Kind == wsframe.DataEvent {
			return err
		}
	}
}

// fill reads the next bytes from the transport into the read buffer. The
// parser keeps partial headers and control frames itself, so the buffer is
// always fully consumed when fill is called and needs no compaction.
func (c *Conn) fill() error {
	c.rpos, c.rend = 0, 0
	var n int
	var err error
	if c.sys.raw == nil {
		n, err = c.read(nil)
	} else {
		for {
			// Borrowed here, high in the call chain: a pool's slow path
			// allocates, and this is the deepest stack an idle
			// connection's goroutine reaches (see sysConn).
			if c.rbuf == nil {
				c.rbuf = bufpool.Get(c.readBufferSize())
			}
			if n, err = c.sys.read(nil); !c.sys.again {
				break
			}
		}
	}
	c.rend = n
	if n > 0 || err == nil {
		return nil
	}
	return c.readFailed(err)
}

// midFrameMax is the largest frame the default read buffer grows to hold
// whole, with midReadBuffer its size then.
const (
	midFrameMax   = 24 << 10
	midReadBuffer = 32 << 10
)

// readBufferSize is the size of the read buffer to borrow: the configured
// ReadBufferSize, or by default one that holds a frame as large as the
// last one whole, up to midFrameMax. One read and a copy of a frame of
// 16 KiB cost less than two reads (one 16 KiB echo: about 10 % of the
// server's CPU); larger frames are read straight into their destination
// past the buffer. The size costs nothing while idle: a connection waits
// without a read buffer.
func (c *Conn) readBufferSize() int {
	if c.opts.ReadBufferSize > 0 {
		return c.opts.ReadBufferSize
	}
	if l := c.ev.Header.Length; c.ev.Kind == wsframe.DataEvent && l > DefaultReadBufferSize-wsframe.MaxHeaderSize && l <= midFrameMax {
		return midReadBuffer
	}
	return DefaultReadBufferSize
}

// read reads from the transport into p, or into the read buffer if p is
// nil, borrowing one from the pool if the connection holds none.
func (c *Conn) read(p []byte) (int, error) {
	if c.sys.raw != nil {
		return c.sys.read(p)
	}
	if p == nil {
		if c.rbuf == nil {
			c.rbuf = bufpool.Get(c.readBufferSize())
		}
		p = *c.rbuf
	}
	return c.t.Read(p)
}

// transportReader reads a Conn's transport: the request head of Accept's
// handshake is read through it, taking the same paths as the connection's
// later reads.
type transportReader struct{ c *Conn }

func (r transportReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return r.c.read(p)
}

// readDirect reads payload of the current data frame straight into p,
// which must be no longer than what remains of the frame, and parses it in
// place. It returns how many bytes of p now hold payload. The event (in
// c.ev) says where the frame and message stand, but its payload is left
// nil: p is the caller's memory, and a Conn that kept a reference to it
// would keep the caller's last large message alive while it idles.
func (c *Conn) readDirect(p []byte) (int, error) {
	n, err := c.read(p)
	if n == 0 {
		c.ev = wsframe.Event{}
		if err == nil {
			return 0, nil
		}
		return 0, c.readFailed(err)
	}
	_, perr := c.parser.Next(p[:n], &c.ev)
	c.ev.Payload = nil
	if perr != nil {
		return 0, c.failRead(perr)
	}
	return n, nil
}

// readFailed classifies an error from the transport. A timeout leaves the
// connection usable; anything else ends the read side for good.
func (c *Conn) readFailed(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	switch {
	case c.isClosed():
		c.readErr = ErrClosed
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		c.readErr = &CloseError{Code: CloseAbnormal}
		// The peer stopped sending but may still read: what a Session
		// queued before goes out first.
		if c.flushFirst != nil {
			c.flushFirst()
		}
	default:
		c.readErr = err
	}
	c.closeTransport()
	return c.readErr
}

// failRead fails the connection for a rule the peer broke: it sends a
// close frame with the code the rule calls for and shuts the transport.
func (c *Conn) failRead(err error) error {
	c.readErr = err
	if c.flushFirst != nil {
		c.flushFirst()
	}
	code := failureCode(err)
	reason := err.Error()
	if len(reason) > wsframe.MaxCloseReason {
		reason = reason[:wsframe.MaxCloseReason]
	}
	c.failWith(code, reason)
	c.lingering.Store(true)
	go c.linger() // bounded by the close timer; the caller learns of the failure now
	return err
}

// failureCode is the close code a connection failed for err sends: the
// rule's own, or 1002.
func failureCode(err error) CloseCode {
	var pe *wsframe.ProtocolError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return CloseProtocolError
}

// refuse fails the connection because the application cannot take what
// the peer sent (a message of the wrong type for a Stream): a close frame
// with code, then the same shutdown as for a protocol error.
func (c *Conn) refuse(code CloseCode, err error) error {
	if lerr := c.readMu.lock(context.Background(), c.closed); lerr != nil {
		return err
	}
	defer c.readMu.unlock()
	if c.readErr != nil {
		return c.readErr
	}
	c.readErr = err
	reason := err.Error()
	if len(reason) > wsframe.MaxCloseReason {
		reason = reason[:wsframe.MaxCloseReason]
	}
	c.failWith(code, reason)
	c.lingering.Store(true)
	go c.linger()
	return err
}

// control acts on the control frame in c.ev.
func (c *Conn) control() {
	ev := &c.ev
	switch ev.Header.Opcode {
	case wsframe.OpPing:
		if !c.opts.DisableAutoPong {
			c.pong(ev.Payload)
		}
		if c.opts.OnPing != nil {
			c.opts.OnPing(ev.Payload)
		}
	case wsframe.OpPong:
		c.pings.wake(ev.Payload)
		if c.opts.OnPong != nil {
			c.opts.OnPong(ev.Payload)
		}
	case wsframe.OpClose:
		c.peerClosed()
	}
}

// peerClosed acts on the peer's close frame, in c.ev.
func (c *Conn) peerClosed() {
	code, reason, _ := wsframe.ParseClosePayload(c.ev.Payload) // checked by the parser
	ce := &CloseError{Code: code, Reason: string(reason)}
	c.stateMu.Lock()
	c.peerClose = ce
	weBegan := c.closeSent
	c.stateMu.Unlock()
	c.readErr = ce
	switch {
	case weBegan:
		c.awaitClose()
	case !c.opts.DisableAutoClose:
		c.answerClose(code)
	}
}

// Frame is one WebSocket frame as ReadFrame returns it and WriteFrame
// sends it.
type Frame struct {
	Fin    bool
	Rsv    byte // reserved bits (wsframe.Rsv1|Rsv2|Rsv3) as on the wire
	Opcode wsframe.Opcode
	// Payload, unmasked. From ReadFrame it is valid until the next read
	// on the connection: it aliases the connection's read buffer.
	Payload []byte
}

// frameAssembly gathers a frame larger than what one read brought in.
type frameAssembly struct {
	buf    *[]byte // pooled; holds the payload gathered so far
	h      wsframe.Header
	active bool // a frame is being gathered; a timeout left it unfinished
	out    bool // buf backs the payload ReadFrame last returned
}

func (f *frameAssembly) release() {
	if f.buf != nil && !f.active {
		bufpool.Put(f.buf)
		f.buf = nil
	}
	f.out = false
}

// ReadFrame returns the next frame, data or control, with FIN visible and
// without reassembling fragments. Control frames have already been acted
// on when they are returned: a ping answered (unless DisableAutoPong), a
// close frame answered and the connection closed (unless
// DisableAutoClose); the read after a close frame returns *CloseError.
//
// The payload is zero-copy when the frame arrived in one read; either way
// it is valid only until the next read on the connection. If ctx ends or
// the read deadline passes mid-frame, the next ReadFrame continues the
// same frame.
//
// With permessage-deflate, frames are shown as they are on the wire: a
// compressed message has RSV1 on its first frame and compressed payload.
// Do not mix ReadFrame with the message API on such a connection: the
// message API's decompressor would miss the context of what ReadFrame read.
//
// A frame longer than what one read brings is gathered in memory that
// follows its bytes: at most 1.25 times the frame plus a read buffer at
// the peak, however long its header says it is. A context that can end
// costs a small allocation per call (the watch that interrupts the read);
// a loop over many tiny frames is cheaper with context.Background() and
// SetReadDeadline.
//
// On a Conn from Dial in the browser (js/wasm) it returns an error: the
// browser's WebSocket API shows a page messages, never frames.
func (c *Conn) ReadFrame(ctx context.Context) (Frame, error) {
	if err := c.checkRawFrames(); err != nil {
		return Frame{}, err
	}
	stop, err := c.beginRead(ctx)
	if err != nil {
		return Frame{}, err
	}
	defer c.endRead(stop)
	f, err := c.readFrame()
	return f, ctxErr(ctx, err)
}

func (c *Conn) readFrame() (Frame, error) {
	if c.halfHandled {
		return Frame{}, errHalfHandled
	}
	fa := &c.frame
	if fa.out {
		fa.release()
	}
	ev := &c.ev
	for !fa.active {
		if err := c.next(); err != nil {
			return Frame{}, err
		}
		if ev.Kind == wsframe.ControlEvent || ev.Last {
			return frameOf(ev.Header, ev.Payload), nil
		}
		// The frame continues beyond this read: gather it.
		fa.active = true
		fa.h = ev.Header
		fa.buf = bufpool.Get(int(min(ev.Header.Length, int64(max(c.opts.readBufferSize(), 2*len(ev.Payload))))))
		*fa.buf = append((*fa.buf)[:0], ev.Payload...)
	}
	for {
		var err error
		if rem := c.parser.Remaining(); c.rpos == c.rend && rem > 0 {
			fa.reserve(1, rem)
			b := *fa.buf
			room := int(min(rem, int64(cap(b)-len(b))))
			var n int
			n, err = c.readDirect(b[len(b) : len(b)+room])
			*fa.buf = b[:len(b)+n]
		} else {
			err = c.next()
			if err == nil {
				fa.reserve(len(ev.Payload), int64(len(ev.Payload))+c.parser.Remaining())
				*fa.buf = append(*fa.buf, ev.Payload...)
			}
		}
		if err != nil {
			return Frame{}, err
		}
		if ev.Kind == wsframe.DataEvent && ev.Last {
			fa.active = false
			fa.out = true
			return frameOf(fa.h, *fa.buf), nil
		}
	}
}

// reserve makes room for n more bytes of a frame that has rem bytes still
// to come, n included. The frame's length is known, so growth never goes
// past it, and once an eighth of it has arrived the rest is allocated in
// one step: the peak is then at most the frame plus a quarter.
func (f *frameAssembly) reserve(n int, rem int64) {
	b := *f.buf
	if cap(b)-len(b) >= n {
		return
	}
	extra := int64(max(n, len(b)))
	if extra > rem || 7*int64(len(b)) >= rem {
		extra = rem
	}
	nb := bufpool.Get(len(b) + int(extra))
	*nb = append((*nb)[:0], b...)
	bufpool.Put(f.buf)
	f.buf = nb
}

func frameOf(h wsframe.Header, payload []byte) Frame {
	return Frame{Fin: h.Fin, Rsv: h.Rsv, Opcode: h.Opcode, Payload: payload}
}
