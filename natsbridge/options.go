package natsbridge

import (
	"log"
	"time"

	"github.com/nats-io/nats.go"
)

// Options configures a Bridge. The zero value, or a nil *Options, is
// ready to use.
type Options struct {
	// Prefix is the first tokens of every subject the bridge uses, so
	// that several sets of hubs can share one NATS server. It must be a
	// literal subject: no wildcard, no empty token, no whitespace. Every
	// node of one set needs the same Prefix. "" means DefaultPrefix.
	Prefix string
	// Name is this node's name in logs and in the NATS connection's name.
	// "" means one made of the node's random ID.
	Name string
	// ReconnectWait is how long Connect's connection waits between
	// attempts to reconnect. 0 means 250ms. New ignores it: the
	// connection it is given has its own.
	ReconnectWait time.Duration
	// NATSOptions are given to nats.Connect by Connect, after the
	// bridge's own (see Connect), so that they can override them,
	// except nats.NoEcho. New ignores them.
	NATSOptions []nats.Option
	// SendBuffer bounds the bytes of encoded messages (payload plus a
	// 26-byte header each) that Relay holds for the bridge's goroutine to
	// hand to nats.go; when NATS takes them slower than the hub
	// publishes, Relay drops what does not fit and returns
	// ErrSendBufferFull. A bridge holds at most SendBuffer plus one
	// message here (and up to 1 MiB of buffers kept for reuse), on top
	// of nats.go's own buffers (32 KiB to write, and
	// nats.ReconnectBufSize, 8 MiB by default, while disconnected).
	// 0 means DefaultSendBuffer.
	SendBuffer int

	// ErrorLog receives what the bridge cannot return to anyone:
	// disconnects and reconnects, and (now and then, not once each)
	// messages lost or undecodable. nil means log.Default().
	ErrorLog *log.Logger
}

const defaultReconnectWait = 250 * time.Millisecond

// DefaultSendBuffer is Options.SendBuffer's default: 4 MiB, half a
// second of 1 KiB messages at 8,000 a second, as NATS' own reconnect
// buffer is a few seconds' worth.
const DefaultSendBuffer = 4 << 20

// resolved returns a copy of opts with its defaults filled in.
func (opts *Options) resolved() Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.ReconnectWait <= 0 {
		o.ReconnectWait = defaultReconnectWait
	}
	if o.SendBuffer <= 0 {
		o.SendBuffer = DefaultSendBuffer
	}
	if o.ErrorLog == nil {
		o.ErrorLog = log.Default()
	}
	return o
}
