package fastws

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// StreamOptions configures a Stream. The zero value sends each Write as
// one frame and reports no events.
type StreamOptions struct {
	// MaxFrameSize, when positive, splits a Write into frames of at most
	// this many payload bytes (compressed bytes, with permessage-deflate):
	// still one message, but a receiver sees it arrive in parts.
	MaxFrameSize int

	// Events, when set, receives what the byte stream cannot carry: pings,
	// pongs, the peer's close code and reason, and errors that do not end
	// the stream. Events are sent without blocking, so a slow observer
	// never stalls the stream: when the channel is full the event is
	// dropped, and the next delivered event counts the drops. Give the
	// channel a buffer.
	Events chan<- StreamEvent
}

// StreamEventKind says what a StreamEvent reports.
type StreamEventKind uint8

// The kinds of stream events.
const (
	EventPing  StreamEventKind = iota + 1 // a ping arrived (and was answered)
	EventPong                             // a pong arrived
	EventClose                            // the peer closed: Code and Reason
	EventError                            // something failed without ending the stream: Err
)

// StreamEvent is an out-of-band event of a Stream.
type StreamEvent struct {
	Kind    StreamEventKind
	Payload []byte // of a ping or pong; the event's own copy
	Code    CloseCode
	Reason  string
	Err     error
	Dropped int // events dropped before this one because the channel was full
}

// Stream is a WebSocket connection seen as a byte stream, a net.Conn:
// codecs that expect a stream (lines, length-prefixed records, gob, JSON,
// RPC, TLS, multiplexers) run over it unchanged. Read returns the payload
// of incoming messages as one continuous stream, across message and frame
// boundaries; each Write sends one message. Messages of the other type
// than the stream's fail the connection with 1003.
//
// One goroutine may Read while any number of goroutines Write; Writes are
// whole messages and never interleave. Deadlines work as on TCP: an
// expired deadline unblocks a pending Read, and a later Read, with the
// deadline moved, continues where it stopped.
type Stream struct {
	c      *Conn
	typ    MessageType
	opts   StreamOptions
	r      *messageReader // the message being read (mr), nil between messages
	mr     messageReader
	rmu    sync.Mutex
	wmu    sync.Mutex
	tail   [3]byte // a text stream's UTF-8 sequence cut by the end of a Write
	tailN  int
	busy   atomic.Int32 // Reads and Writes in flight
	gone   atomic.Bool  // the Conn was taken back with Unwrap
	drops  atomic.Int32
	closed atomic.Bool
}

// NewStream returns c as a byte stream of messages of type typ (Text or
// Binary). opts may be nil. A Text stream checks that what it sends is
// UTF-8; a character split across two Writes is held back and sent with
// the second.
func NewStream(c *Conn, typ MessageType, opts *StreamOptions) *Stream {
	s := &Stream{c: c, typ: typ &^ Uncompressed}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.Events != nil {
		onPing, onPong := c.opts.OnPing, c.opts.OnPong
		c.opts.OnPing = func(p []byte) {
			s.event(StreamEvent{Kind: EventPing, Payload: append([]byte(nil), p...)})
			if onPing != nil {
				onPing(p)
			}
		}
		c.opts.OnPong = func(p []byte) {
			s.event(StreamEvent{Kind: EventPong, Payload: append([]byte(nil), p...)})
			if onPong != nil {
				onPong(p)
			}
		}
	}
	return s
}

// event delivers e without blocking.
func (s *Stream) event(e StreamEvent) {
	if s.opts.Events == nil {
		return
	}
	e.Dropped = int(s.drops.Load())
	select {
	case s.opts.Events <- e:
		s.drops.Add(-int32(e.Dropped))
	default:
		s.drops.Add(1)
	}
}

// ErrWrongMessageType is returned by a Stream's Read when a message of the
// other type arrives; the connection is failed with 1003.
var ErrWrongMessageType = errors.New("fastws: message of the wrong type for this stream")

// ErrUnwrapped is returned by a Stream whose Conn was taken back.
var ErrUnwrapped = errors.New("fastws: the stream's connection was taken back with Unwrap")

// Read reads payload bytes. A normal close by the peer (1000, or a close
// without a code) is io.EOF; any other close is a *CloseError.
func (s *Stream) Read(p []byte) (int, error) {
	s.busy.Add(1)
	defer s.busy.Add(-1)
	if s.gone.Load() {
		return 0, ErrUnwrapped
	}
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for {
		if s.r == nil {
			typ, gen, err := s.c.nextStreamed(context.Background())
			if err != nil {
				return 0, s.readError(err)
			}
			if typ != s.typ {
				err := fmt.Errorf("%w: %v message on a %v stream", ErrWrongMessageType, typ, s.typ)
				return 0, s.c.refuse(CloseUnsupportedData, err)
			}
			s.mr = messageReader{c: s.c, gen: gen, eager: true}
			s.r = &s.mr
		}
		if len(p) == 0 {
			return 0, nil
		}
		n, err := s.r.Read(p)
		if err == io.EOF {
			s.r = nil
			if n == 0 {
				continue // the next message, or an empty one
			}
			err = nil
		}
		if err != nil {
			return n, s.readError(err)
		}
		return n, nil
	}
}

// readError maps how the connection ended to what a stream reader
// expects.
func (s *Stream) readError(err error) error {
	var ce *CloseError
	if errors.As(err, &ce) {
		if ce.Code != CloseAbnormal {
			s.event(StreamEvent{Kind: EventClose, Code: ce.Code, Reason: ce.Reason})
		}
		switch ce.Code {
		case CloseNormal, CloseNoStatus:
			return io.EOF
		}
	}
	return err
}

// Write sends p as one message (in frames of at most MaxFrameSize). On a
// Text stream, a UTF-8 sequence cut by the end of p is held back and sent
// with the next Write; invalid UTF-8 is refused.
func (s *Stream) Write(p []byte) (int, error) {
	s.busy.Add(1)
	defer s.busy.Add(-1)
	if s.gone.Load() {
		return 0, ErrUnwrapped
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	ctx := context.Background()
	if s.typ != Text && s.tailN == 0 && (s.opts.MaxFrameSize <= 0 || len(p) <= s.opts.MaxFrameSize) {
		if err := s.c.WriteMessage(ctx, s.typ, p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	body := p
	var newTail []byte
	if s.typ == Text {
		var v wsframe.UTF8
		if !v.Feed(s.tail[:s.tailN]) || !v.Feed(p) {
			return 0, fmt.Errorf("fastws: cannot send on a text stream: %w", wsframe.ErrInvalidUTF8)
		}
		if !v.Complete() {
			// Hold back the character the input stops inside of.
			k := incompleteSuffix(s.tail[:s.tailN], p)
			if k > len(p) {
				s.tailN += copy(s.tail[s.tailN:], p) // all of p is part of it
				return len(p), nil
			}
			body, newTail = p[:len(p)-k], p[len(p)-k:]
		}
	}
	w, err := s.c.nextWriter(ctx, s.typ, max(s.opts.MaxFrameSize, 0))
	if err != nil {
		return 0, err
	}
	if s.tailN > 0 {
		if _, err := w.Write(s.tail[:s.tailN]); err != nil {
			w.Close()
			return 0, err
		}
	}
	if _, err := w.Write(body); err != nil {
		w.Close()
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	s.tailN = copy(s.tail[:], newTail)
	return len(p), nil
}

// incompleteSuffix returns how many trailing bytes of tail+p form the
// UTF-8 sequence the input stops inside of; tail+p must be valid so far
// and not complete.
func incompleteSuffix(tail, p []byte) int {
	var last [3]byte
	n := 0
	for i := len(p) - 1; i >= 0 && n < 3; i-- {
		last[2-n] = p[i]
		n++
	}
	for i := len(tail) - 1; i >= 0 && n < 3; i-- {
		last[2-n] = tail[i]
		n++
	}
	for k := 1; k <= n; k++ {
		if last[3-k]&0xC0 != 0x80 {
			return k
		}
	}
	return n
}

// Ping sends a ping and waits for its pong, as Conn.Ping; the stream may be
// in use meanwhile. A failure is also reported as an EventError.
func (s *Stream) Ping(ctx context.Context, payload []byte) error {
	err := s.c.Ping(ctx, payload)
	if err != nil {
		s.event(StreamEvent{Kind: EventError, Err: err})
	}
	return err
}

// Close performs the closing handshake (with the Conn's CloseTimeout) and
// closes the connection. Bytes of a character a Text stream was still
// holding back are lost, which the error says.
func (s *Stream) Close() error {
	if s.gone.Load() {
		return ErrUnwrapped
	}
	if s.closed.Swap(true) {
		return net.ErrClosed
	}
	s.wmu.Lock()
	pending := s.tailN
	s.wmu.Unlock()
	err := s.c.Close(CloseNormal, "")
	if pending > 0 {
		err = errors.Join(err, fmt.Errorf("fastws: text stream closed inside a character (%d bytes held back): %w", pending, wsframe.ErrInvalidUTF8))
	}
	return err
}

// Unwrap gives the Conn back, as it was before NewStream, if no Read or
// Write is in flight and no message is half read or character half
// written; it reports false otherwise. The Stream is unusable afterwards.
func (s *Stream) Unwrap() (*Conn, bool) {
	if s.busy.Load() != 0 || !s.rmu.TryLock() {
		return nil, false
	}
	defer s.rmu.Unlock()
	if !s.wmu.TryLock() {
		return nil, false
	}
	defer s.wmu.Unlock()
	if s.r != nil || s.tailN > 0 || s.gone.Load() || s.closed.Load() {
		return nil, false
	}
	s.gone.Store(true)
	return s.c, true
}

// LocalAddr is the connection's local address.
func (s *Stream) LocalAddr() net.Addr { return s.c.LocalAddr() }

// RemoteAddr is the connection's remote address.
func (s *Stream) RemoteAddr() net.Addr { return s.c.RemoteAddr() }

// SetDeadline sets the read and write deadlines.
func (s *Stream) SetDeadline(t time.Time) error { return s.c.SetDeadline(t) }

// SetReadDeadline sets the read deadline; an expired one unblocks a pending
// Read, which returns an error for which os.IsTimeout holds.
func (s *Stream) SetReadDeadline(t time.Time) error { return s.c.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline. A Write that times out after
// it began closes the connection, as on Conn.
func (s *Stream) SetWriteDeadline(t time.Time) error { return s.c.SetWriteDeadline(t) }

var _ net.Conn = (*Stream)(nil)
