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

// nextEvent returns the next data or control event, reading from the
// transport as needed. Control frames have been acted on (pong sent,
// close answered) when it returns them.
func (c *Conn) nextEvent() (wsframe.Event, error) {
	for {
		if c.rpos < c.rend {
			n, ev, err := c.parser.Parse((*c.rbuf)[c.rpos:c.rend])
			c.rpos += n
			if err != nil {
				return ev, c.failRead(err)
			}
			switch ev.Kind {
			case wsframe.DataEvent:
				return ev, nil
			case wsframe.ControlEvent:
				c.control(ev)
				return ev, nil
			}
			continue
		}
		if c.readErr != nil {
			return wsframe.Event{}, c.readErr
		}
		if err := c.fill(); err != nil {
			return wsframe.Event{}, err
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
	if c.raw != nil {
		n, err = c.raw.fill()
	} else {
		if c.rbuf == nil {
			c.rbuf = bufpool.Get(c.opts.readBufferSize())
		}
		n, err = c.t.Read(*c.rbuf)
	}
	c.rend = n
	if n > 0 || err == nil {
		return nil
	}
	return c.readFailed(err)
}

// readDirect reads payload of the current data frame straight into p,
// which must be no longer than what remains of the frame, and parses it in
// place: the event's payload is p[:n].
func (c *Conn) readDirect(p []byte) (wsframe.Event, error) {
	n, err := c.t.Read(p)
	if n == 0 {
		if err == nil {
			return wsframe.Event{}, nil
		}
		return wsframe.Event{}, c.readFailed(err)
	}
	_, ev, perr := c.parser.Parse(p[:n])
	if perr != nil {
		return ev, c.failRead(perr)
	}
	return ev, nil
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
	code := CloseProtocolError
	var pe *wsframe.ProtocolError
	if errors.As(err, &pe) {
		code = pe.Code
	}
	reason := err.Error()
	if len(reason) > wsframe.MaxCloseReason {
		reason = reason[:wsframe.MaxCloseReason]
	}
	c.failWith(code, reason)
	go c.linger() // bounded by the close timer; the caller learns of the failure now
	return err
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
	go c.linger()
	return err
}

// control acts on a control frame the parser reported.
func (c *Conn) control(ev wsframe.Event) {
	switch ev.Header.Opcode {
	case wsframe.OpPing:
		if !c.opts.DisableAutoPong {
			_ = c.writeControl(context.Background(), wsframe.OpPong, ev.Payload)
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
		code, reason, _ := wsframe.ParseClosePayload(ev.Payload) // checked by the parser
		ce := &CloseError{Code: code, Reason: string(reason)}
		c.stateMu.Lock()
		c.peerClose = ce
		c.stateMu.Unlock()
		c.readErr = ce
		c.stateMu.Lock()
		weBegan := c.closeSent
		c.stateMu.Unlock()
		switch {
		case weBegan:
			c.awaitClose()
		case !c.opts.DisableAutoClose:
			c.answerClose(code)
		}
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
func (c *Conn) ReadFrame(ctx context.Context) (Frame, error) {
	stop, err := c.beginRead(ctx)
	if err != nil {
		return Frame{}, err
	}
	defer c.endRead(stop)
	f, err := c.readFrame()
	return f, ctxErr(ctx, err)
}

func (c *Conn) readFrame() (Frame, error) {
	fa := &c.frame
	if fa.out {
		fa.release()
	}
	for !fa.active {
		ev, err := c.nextEvent()
		if err != nil {
			return Frame{}, err
		}
		if ev.Kind == wsframe.ControlEvent || ev.Last {
			return frameOf(ev.Header, ev.Payload), nil
		}
		// The frame continues beyond this read: gather it.
		fa.active = true
		fa.h = ev.Header
		fa.buf = bufpool.Get(max(c.opts.readBufferSize(), 2*len(ev.Payload)))
		*fa.buf = append((*fa.buf)[:0], ev.Payload...)
	}
	for {
		var ev wsframe.Event
		var err error
		if rem := c.parser.Remaining(); c.rpos == c.rend && rem > 0 {
			b := *fa.buf
			if len(b) == cap(b) {
				fa.grow(int(min(rem, int64(len(b)))))
				b = *fa.buf
			}
			room := int(min(rem, int64(cap(b)-len(b))))
			ev, err = c.readDirect(b[len(b) : len(b)+room])
			*fa.buf = b[:len(b)+len(ev.Payload)]
		} else {
			ev, err = c.nextEvent()
			if err == nil {
				fa.appendPayload(ev.Payload)
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

func (f *frameAssembly) grow(extra int) {
	nb := bufpool.Get(len(*f.buf) + extra)
	*nb = append((*nb)[:0], *f.buf...)
	bufpool.Put(f.buf)
	f.buf = nb
}

func (f *frameAssembly) appendPayload(p []byte) {
	if len(*f.buf)+len(p) > cap(*f.buf) {
		f.grow(max(len(p), len(*f.buf)))
	}
	*f.buf = append(*f.buf, p...)
}

func frameOf(h wsframe.Header, payload []byte) Frame {
	return Frame{Fin: h.Fin, Rsv: h.Rsv, Opcode: h.Opcode, Payload: payload}
}
