package fastws

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// Role is which end of a connection a Conn is: ServerSide reads masked
// frames and writes unmasked ones, ClientSide the opposite.
type Role = wsframe.Role

// The two roles.
const (
	ServerSide = wsframe.ServerSide
	ClientSide = wsframe.ClientSide
)

// Conn is a WebSocket connection after its opening handshake.
//
// One goroutine may read (ReadFrame, AppendMessage, ReadMessage,
// NextReader and its reader) while any number of goroutines write
// (WriteFrame, WriteMessage, NextWriter, Ping, Close); frames of two writers
// never interleave, and a message streamed with NextWriter is never
// interleaved with another data message. Two readers at once wait for each
// other rather than corrupt anything.
//
// A Conn holds no buffer of its own while idle between messages except
// its read buffer; write buffers are borrowed from shared pools for the
// duration of a frame.
type Conn struct {
	t        io.ReadWriteCloser
	nc       net.Conn // t, when it is a net.Conn
	sys      sysConn  // system calls on t, when it is a socket
	role     Role
	opts     ConnOptions
	protocol string
	exts     string

	closeOnce sync.Once
	closed    chan struct{} // closed once the transport is closed
	closeFn   func()        // closeTransport as a func value, made once: a method value per call would allocate
	// lingering is set when a failure on the read side has sent the
	// close frame and started linger, which closes the transport once
	// the peer has stopped sending: closing it earlier could reset the
	// connection and destroy the close frame (see Server's serveConn).
	lingering atomic.Bool

	// Read side, owned by whoever holds readMu.
	readMu  lock
	rdl     deadline
	parser  wsframe.Parser
	rbuf    *[]byte // nil while an idle connection waits on a socket
	rpos    int
	rend    int
	readErr error
	maxMsg  int64 // the message size limit, resolved; 0 for none
	dfl     *deflateState
	frame   frameAssembly
	msg     messageReadState
	ev      wsframe.Event // the event next parsed, kept here rather than copied up the call chain
	hs      *handler      // HandleMessages' fast path, once used

	halfHandled bool        // HandleMessages stopped inside a message
	handling    atomic.Bool // a HandleMessages handler is running

	// Write side.
	msgMu    lock // held from a data message's first frame to its last
	wireMu   lock // held while one frame goes out; guards what follows
	wdl      deadline
	sender   wsframe.Sender
	writeErr error
	rawMsg   bool // a fragmented message sent with WriteFrame holds msgMu
	hdr      [wsframe.MaxHeaderSize]byte
	wmsg     messageWriteState

	// Closing handshake.
	stateMu   sync.Mutex
	peerClose *CloseError // the peer's close frame, once read
	closeSent bool        // this end sent its close frame
	killTimer *time.Timer // closes the transport if the handshake stalls

	pings pingWaiters

	// flushFirst, when set, runs before this side's close frame goes out
	// in answer to the peer's close or to a protocol failure: a Server's
	// Session writes what its handler queued first.
	flushFirst func()
}

// NewConn returns a Conn over t, a stream on which the opening handshake
// is already done (by your own code, or by another library). Deadlines,
// half-close and vectored writes are used when t has them, as a
// *net.TCPConn does. opts may be nil.
func NewConn(t io.ReadWriteCloser, role Role, opts *ConnOptions) *Conn {
	return newConn(t, role, opts, &handshakeResult{})
}

// newConn builds a Conn from what the handshake left: its negotiated
// settings, and a buffer with any bytes read past its end.
func newConn(t io.ReadWriteCloser, role Role, opts *ConnOptions, hs *handshakeResult) *Conn {
	c := allocConn(t, role)
	c.setup(opts, hs)
	return c
}

// allocConn returns a Conn over t that can do I/O but is not set up yet:
// Accept runs its handshake through it, so that the handshake's reads and
// writes take the same short paths as the connection's.
func allocConn(t io.ReadWriteCloser, role Role) *Conn {
	c := &Conn{
		t:      t,
		role:   role,
		closed: make(chan struct{}),
	}
	c.closeFn = c.closeTransport
	if nc, ok := t.(net.Conn); ok {
		c.nc = nc
	}
	if d, ok := t.(interface{ SetReadDeadline(time.Time) error }); ok {
		c.rdl.set = d.SetReadDeadline
	}
	if d, ok := t.(interface{ SetWriteDeadline(time.Time) error }); ok {
		c.wdl.set = d.SetWriteDeadline
	}
	c.sys.init(c, t)
	return c
}

// setup applies the options and what the handshake settled.
func (c *Conn) setup(opts *ConnOptions, hs *handshakeResult) {
	c.protocol, c.exts = hs.protocol, hs.extensions
	if opts != nil {
		c.opts = *opts
	}
	cfg := wsframe.Config{
		Role:           c.role,
		MaxMessageSize: c.opts.MaxMessageSize,
		MaxFrameSize:   c.opts.MaxFrameSize,
		Rsv:            hs.rsv,
	}
	if hs.deflate != nil {
		cfg.Deflate = true
		cfg.Rsv |= wsframe.Rsv1
		c.dfl = newDeflateState(c, hs.deflate)
	}
	c.maxMsg = c.opts.MaxMessageSize
	switch {
	case c.maxMsg == 0:
		c.maxMsg = DefaultMaxMessageSize
	case c.maxMsg < 0:
		c.maxMsg = 0
	}
	c.msg.spill.budget = c.opts.MemoryBudget
	c.parser.Reset(cfg)
	c.sender.Reset(cfg)
	c.rbuf, c.rpos, c.rend = hs.rbuf, hs.rpos, hs.rend
}

// Done returns a channel closed once the connection is closed, by either
// side, after its closing handshake or a failure. A net/http handler that
// serves a WebSocket over HTTP/2 (RFC 8441) must not return before it:
// the stream, and with it the connection, ends when the handler returns.
func (c *Conn) Done() <-chan struct{} { return c.closed }

// Subprotocol returns the subprotocol the handshake selected, or "".
func (c *Conn) Subprotocol() string { return c.protocol }

// Extensions returns the Sec-WebSocket-Extensions value the handshake
// settled on, or "".
func (c *Conn) Extensions() string { return c.exts }

// addressed is a transport that is not a net.Conn but knows the
// connection it runs on: an HTTP/2 stream.
type addressed interface {
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// LocalAddr returns the local network address (for a WebSocket over
// HTTP/2, the address of the connection carrying its stream), or nil if
// the transport has none.
func (c *Conn) LocalAddr() net.Addr {
	if c.nc != nil {
		return c.nc.LocalAddr()
	}
	if a, ok := c.t.(addressed); ok {
		return a.LocalAddr()
	}
	return nil
}

// RemoteAddr returns the remote network address (for a WebSocket over
// HTTP/2, the address of the connection carrying its stream), or nil if
// the transport has none.
func (c *Conn) RemoteAddr() net.Addr {
	if c.nc != nil {
		return c.nc.RemoteAddr()
	}
	if a, ok := c.t.(addressed); ok {
		return a.RemoteAddr()
	}
	return nil
}

var errNoDeadlines = errors.New("fastws: the transport does not support deadlines")

// SetReadDeadline sets the deadline for reads, as net.Conn does; a read
// that times out returns an error for which os.IsTimeout holds, and the
// connection stays usable: the next read continues where it stopped.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.rdl.setUser(t) }

// SetWriteDeadline sets the deadline for writes. A write that times out
// after it began leaves the stream in an unknown state, so the connection
// is closed.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.wdl.setUser(t) }

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	return errors.Join(c.rdl.setUser(t), c.wdl.setUser(t))
}

// CloseNow closes the transport at once, without a closing handshake.
// Blocked reads and writes return ErrClosed.
func (c *Conn) CloseNow() error {
	if c.isClosed() {
		return ErrClosed
	}
	c.closeTransport()
	return nil
}

// isClosed reports whether the transport has been closed.
func (c *Conn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}
