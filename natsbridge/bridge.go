package natsbridge

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws/hub"
	"github.com/nats-io/nats.go"
)

// A Bridge carries a hub's publishes to the hubs of other processes
// through NATS, and delivers theirs to its hub. It is the hub's Relay
// from Connect or New until Close. Its methods are safe for concurrent use.
type Bridge struct {
	nc      *nats.Conn
	h       *hub.Hub
	sub     *nats.Subscription
	ownConn bool   // Connect made nc, so Close closes it
	prefix  string // with its trailing '.'
	id      nodeID
	idHex   string
	name    string
	log     *log.Logger

	send       sender
	maxPayload atomic.Int64 // the server's limit, as nats.go last said (see Relay)
	recv       receiver

	closed    atomic.Bool // stops the connection event handlers counting
	closeOnce sync.Once
	closeErr  error
	// droppedAtClose keeps the subscription's count of slow-consumer
	// drops, which nats.go forgets on Unsubscribe.
	droppedAtClose atomic.Int64

	stats counters
}

// ErrClosed is returned by Relay after Close.
var ErrClosed = errors.New("natsbridge: bridge closed")

var errNoHub = errors.New("natsbridge: no hub to bridge")

// closeFlushTimeout bounds how long Close waits for what Relay handed to
// nats.go to reach the server.
const closeFlushTimeout = 2 * time.Second

// flusherTimeout bounds a write of Connect's connection to the server.
const flusherTimeout = 5 * time.Second

// subscribeFlushTimeout bounds how long New waits for the server to
// confirm the subscription.
const subscribeFlushTimeout = 5 * time.Second

// Connect dials the NATS server at url (a comma-separated list of
// servers, as nats.Connect takes) and returns a Bridge for h over that
// connection, which it closes on Close. The connection asks for no echo,
// reconnects forever, every opts.ReconnectWait, gives up on a write
// after 5 seconds (nats.FlusherTimeout) and logs NATS' asynchronous
// errors to opts.ErrorLog; opts.NATSOptions are added to those. Connect
// fails if the first connection fails, unless NATSOptions has
// nats.RetryOnFailedConnect(true).
func Connect(url string, h *hub.Hub, opts *Options) (*Bridge, error) {
	o := opts.resolved()
	// Checked before dialing, which a failure would only undo.
	if h == nil {
		return nil, errNoHub
	}
	if err := checkPrefix(o.Prefix); err != nil {
		return nil, err
	}
	id, name := identity(o.Name)
	o.Name = name
	nopts := []nats.Option{
		nats.Name("fastws-natsbridge " + name),
		nats.NoEcho(),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(o.ReconnectWait),
		// A server that takes a full write buffer no faster than this
		// is treated as gone, rather than holding the bridge's sender
		// for nats.go's default minute while the send buffer fills.
		nats.FlusherTimeout(flusherTimeout),
		// nats.go prints its asynchronous errors (a slow consumer, a
		// permission refused) to stderr unless told where else.
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			o.ErrorLog.Printf("natsbridge %s: NATS: %v", name, err)
		}),
	}
	nc, err := nats.Connect(url, append(nopts, o.NATSOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("natsbridge: connect: %w", err)
	}
	b, err := newBridge(nc, h, o, id, true)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return b, nil
}

// New returns a Bridge for h over nc, a connection the caller made and
// closes after Close. It subscribes to the bridge's subjects, waits (a
// few seconds at most) for the server to confirm, so that what other
// nodes publish after New returns reaches h, and makes the Bridge h's
// Relay. It counts nc's disconnects and reconnects by wrapping the
// handlers nc has at the time; a handler set on nc later replaces that.
// nc should have been made with nats.NoEcho, or the server sends back
// every message this node publishes for the Bridge to drop.
func New(nc *nats.Conn, h *hub.Hub, opts *Options) (*Bridge, error) {
	o := opts.resolved()
	id, name := identity(o.Name)
	o.Name = name
	return newBridge(nc, h, o, id, false)
}

// identity returns a new node ID, and name, or a name made of the ID.
func identity(name string) (nodeID, string) {
	var id nodeID
	_, _ = rand.Read(id[:]) // never fails: the runtime crashes rather than return weak bytes
	if name == "" {
		name = hex.EncodeToString(id[:4])
	}
	return id, name
}

func newBridge(nc *nats.Conn, h *hub.Hub, o Options, id nodeID, own bool) (*Bridge, error) {
	if h == nil {
		return nil, errNoHub
	}
	if nc == nil {
		return nil, errors.New("natsbridge: New needs a NATS connection")
	}
	if err := checkPrefix(o.Prefix); err != nil {
		return nil, err
	}
	b := &Bridge{
		nc: nc, h: h, ownConn: own, prefix: o.Prefix + ".",
		id: id, idHex: hex.EncodeToString(id[:]), name: o.Name, log: o.ErrorLog,
	}
	b.send.init(o.SendBuffer)
	sub, err := nc.Subscribe(b.prefix+"*", b.receive)
	if err != nil {
		return nil, fmt.Errorf("natsbridge: subscribe: %w", err)
	}
	b.sub = sub
	if nc.IsConnected() {
		if err := nc.FlushTimeout(subscribeFlushTimeout); err != nil {
			b.logf("subscription not confirmed by the server: %v", err)
		}
	}
	b.maxPayload.Store(nc.MaxPayload())
	b.watch()
	go b.run()
	h.SetRelay(b)
	return b, nil
}

// watch counts nc's disconnects and reconnects, calling the handlers nc
// had before too. After Close it only passes the events on, since nc may
// outlive the Bridge and another handler may have wrapped this one.
func (b *Bridge) watch() {
	prevDisc := b.nc.DisconnectErrHandler()
	b.nc.SetDisconnectErrHandler(func(c *nats.Conn, err error) {
		if !b.closed.Load() {
			b.stats.discons.Add(1)
			b.logf("disconnected from NATS: %v", err)
		}
		if prevDisc != nil {
			prevDisc(c, err)
		}
	})
	prevRecon := b.nc.ReconnectHandler()
	b.nc.SetReconnectHandler(func(c *nats.Conn) {
		b.maxPayload.Store(c.MaxPayload())
		if !b.closed.Load() {
			b.stats.reconnects.Add(1)
			b.logf("reconnected to %s", c.ConnectedUrlRedacted())
		}
		if prevRecon != nil {
			prevRecon(c)
		}
	})
}

// Close stops the bridge: the hub stops relaying (h.SetRelay(nil), even
// if another Relay has been set since), the subscription ends, and no
// message is delivered to the hub once Close has returned, which is why
// it must not be called from a Subscriber's WritePrepared. What Relay
// accepted is handed to nats.go first (which takes up to its
// FlusherTimeout for each full write buffer if the server reads slowly).
// A connection Connect made is then flushed, so that those messages reach
// the server if it is connected, and closed.
func (b *Bridge) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *Bridge) close() error {
	b.closed.Store(true)
	b.h.SetRelay(nil)
	b.send.closeAndWait()
	if n, err := b.sub.Dropped(); err == nil {
		b.droppedAtClose.Store(int64(n))
	}
	err := b.sub.Unsubscribe()
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubscription) {
		err = nil // the caller closed nc first: nothing is left to undo
	}
	b.recv.close()
	if b.ownConn {
		if b.nc.IsConnected() {
			_ = b.nc.FlushTimeout(closeFlushTimeout)
		}
		b.nc.Close()
	}
	if err != nil {
		return fmt.Errorf("natsbridge: unsubscribe: %w", err)
	}
	return nil
}

// NodeID returns this node's ID as it appears on the wire, in hex: the
// origin other nodes follow the sequence numbers of.
func (b *Bridge) NodeID() string { return b.idHex }

// Name returns this node's name, as given in Options or made of its ID.
func (b *Bridge) Name() string { return b.name }

// Stats returns the bridge's counters.
func (b *Bridge) Stats() Stats {
	st := b.stats.snapshot()
	st.SendQueued = b.send.queued()
	if n, err := b.sub.Dropped(); err == nil {
		st.SlowConsumerDrops = int64(n)
	} else {
		st.SlowConsumerDrops = b.droppedAtClose.Load()
	}
	return st
}

func (b *Bridge) logf(format string, args ...any) {
	b.log.Printf("natsbridge %s: "+format, append([]any{b.name}, args...)...)
}
