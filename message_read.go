package fastws

import (
	"context"
	"io"
	"slices"

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

func (t MessageType) String() string { return wsframe.Opcode(t).String() }

// messageReadState is the progress of the message being read through the
// message API. It lives in the Conn so that reading a message allocates
// nothing and an interrupted read can be continued.
type messageReadState struct {
	gen     uint32 // identifies the current message's reader
	active  bool   // a message has begun and its end not yet been handed out
	ended   bool   // the message's last payload byte has been parsed
	typ     MessageType
	pending []byte // parsed payload not yet handed out; aliases the read buffer
}

// beginMessage skips the rest of any message in progress and waits for the
// first frame of the next one.
func (c *Conn) beginMessage() error {
	m := &c.msg
	for m.active && !m.ended {
		if _, err := c.nextMessageEvent(); err != nil {
			return err
		}
	}
	m.gen++
	m.active = false
	m.pending = nil
	for {
		ev, err := c.nextEvent()
		if err != nil {
			return err
		}
		if ev.Kind == wsframe.DataEvent {
			m.active = true
			m.typ = MessageType(ev.Message)
			m.pending = ev.Payload
			m.ended = ev.EndOfMessage()
			return nil
		}
	}
}

// nextMessageEvent parses the next data event of the current message,
// skipping control frames, and records it as pending.
func (c *Conn) nextMessageEvent() (wsframe.Event, error) {
	for {
		ev, err := c.nextEvent()
		if err != nil {
			return ev, err
		}
		if ev.Kind == wsframe.DataEvent {
			c.msg.pending = ev.Payload
			c.msg.ended = ev.EndOfMessage()
			return ev, nil
		}
	}
}

// AppendMessage reads the next message and appends its payload to dst,
// returning the extended slice: with a dst of enough capacity it allocates
// nothing. Fragments are reassembled; control frames between them are acted
// on. Large payloads are read straight into dst, which grows with the bytes
// that actually arrive, never ahead of them by more than a factor of two.
//
// If ctx ends or the read deadline passes mid-message, AppendMessage
// returns what it has read so far with the error; the next call continues
// the same message, so nothing is lost.
func (c *Conn) AppendMessage(ctx context.Context, dst []byte) (MessageType, []byte, error) {
	stop, err := c.beginRead(ctx)
	if err != nil {
		return 0, dst, err
	}
	defer c.endRead(stop)
	m := &c.msg
	if !m.active || m.ended && len(m.pending) == 0 {
		if err := c.beginMessage(); err != nil {
			return 0, dst, ctxErr(ctx, err)
		}
	}
	for {
		dst = append(dst, m.pending...)
		m.pending = nil
		if m.ended {
			m.active = false
			return m.typ, dst, nil
		}
		rem := c.parser.Remaining()
		if c.rpos < c.rend || rem < directReadMin {
			if _, err := c.nextMessageEvent(); err != nil {
				return m.typ, dst, ctxErr(ctx, err)
			}
			continue
		}
		// Read the rest of this frame straight into dst, growing it at
		// most to double what has arrived.
		room := cap(dst) - len(dst)
		if int64(room) < rem && room < max(len(dst), c.opts.readBufferSize()) {
			dst = slices.Grow(dst, int(min(rem, int64(max(len(dst), c.opts.readBufferSize())))))
			room = cap(dst) - len(dst)
		}
		want := int(min(rem, int64(room)))
		ev, err := c.readDirect(dst[len(dst) : len(dst)+want])
		dst = dst[:len(dst)+len(ev.Payload)]
		if err != nil {
			return m.typ, dst, ctxErr(ctx, err)
		}
		m.ended = ev.EndOfMessage()
	}
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
	stop, err := c.beginRead(ctx)
	if err != nil {
		return 0, nil, err
	}
	defer c.endRead(stop)
	if err := c.beginMessage(); err != nil {
		return 0, nil, ctxErr(ctx, err)
	}
	return c.msg.typ, &messageReader{c: c, gen: c.msg.gen}, nil
}

type messageReader struct {
	c   *Conn
	gen uint32
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
	for {
		if len(m.pending) > 0 {
			n := copy(p, m.pending)
			m.pending = m.pending[n:]
			return n, nil
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
			ev, err := c.readDirect(p[:min(int64(len(p)), rem)])
			if err != nil {
				return 0, err
			}
			m.ended = ev.EndOfMessage()
			if n := len(ev.Payload); n > 0 {
				return n, nil
			}
			continue
		}
		if _, err := c.nextMessageEvent(); err != nil {
			return 0, err
		}
	}
}
