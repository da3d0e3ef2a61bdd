package fastws

import (
	"time"

	"github.com/fastws/fastws/wsframe"
)

// Defaults for ConnOptions fields left zero.
const (
	// DefaultMaxMessageSize is 16 MiB: room for the largest messages of
	// conformance suites (Autobahn's 16 MiB), and the most a compressed
	// message of a few kilobytes can make a connection hold. DESIGN.md
	// gives the reasoning; memory is only committed as payload arrives.
	DefaultMaxMessageSize = wsframe.DefaultMaxMessageSize
	// DefaultCloseTimeout bounds the closing handshake.
	DefaultCloseTimeout = 5 * time.Second
	// DefaultHandshakeTimeout bounds an opening handshake.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultReadBufferSize is the size of the pooled buffer a connection
	// reads into while a read is in progress.
	DefaultReadBufferSize = 8 << 10
)

// ConnOptions configures a connection. The zero value is ready to use, with
// the defaults documented on each field.
type ConnOptions struct {
	// MaxMessageSize is the largest message payload accepted, in bytes; a
	// peer that announces a larger one gets close code 1009 and the reader
	// a *wsframe.LimitError. 0 means DefaultMaxMessageSize (16 MiB); a
	// negative value means no limit. Memory grows with the bytes that
	// actually arrive, never with what a header announces, and a message
	// that breaks the limit is refused having held at most the limit plus
	// 64 KiB (and, when compressed, the decompressor's state): a
	// decompression bomb stops there. What a message that keeps to the
	// limit costs is said on AppendMessage.
	MaxMessageSize int64

	// MaxFrameSize is the largest frame payload accepted. 0 means the same
	// as MaxMessageSize (plus 1/64 and 1 KiB for a compressed frame, which
	// is what deflate adds to data that does not compress); negative means
	// no limit.
	MaxFrameSize int64

	// CloseTimeout bounds the closing handshake: how long Close waits for
	// the peer's close frame (and a client for the server to close TCP)
	// before closing the connection anyway. 0 means DefaultCloseTimeout.
	CloseTimeout time.Duration

	// DisableAutoPong stops the automatic pong reply to every ping. Pings
	// still reach OnPing and ReadFrame.
	DisableAutoPong bool

	// DisableAutoClose stops the automatic reply to the peer's close frame.
	// The reader still gets a *CloseError; the application then replies
	// with Close, which completes the handshake.
	DisableAutoClose bool

	// OnPing and OnPong, when set, are called by the reading goroutine with
	// the payload of each ping or pong received (after the automatic
	// pong). The payload is valid only during the call. They run inside
	// the read, so they must not block for long and must not read.
	OnPing func(payload []byte)
	OnPong func(payload []byte)

	// MemoryBudget, when set, bounds the memory held by messages being
	// received on all the connections that share it; a connection whose
	// message would pass it fails with close code 1013 (see MemoryBudget).
	// nil means no budget: each connection is bounded by MaxMessageSize
	// alone.
	MemoryBudget *MemoryBudget

	// ReadBufferSize is the size of the buffer a read borrows from a shared
	// pool (sizes are rounded up to a power of two). Larger buffers mean
	// fewer system calls for large messages. 0 means DefaultReadBufferSize.
	ReadBufferSize int
}

func (o *ConnOptions) closeTimeout() time.Duration {
	if o.CloseTimeout > 0 {
		return o.CloseTimeout
	}
	return DefaultCloseTimeout
}

func (o *ConnOptions) readBufferSize() int {
	if o.ReadBufferSize > 0 {
		return o.ReadBufferSize
	}
	return DefaultReadBufferSize
}
