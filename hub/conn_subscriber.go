package hub

import (
	"context"
	"sync"
	"time"

	"github.com/fastws/fastws"
)

// ConnOptions are the queue limits and policy of a ConnSubscriber, with
// the meaning ServerOptions gives them for a Session.
type ConnOptions struct {
	// QueueLimit bounds the payload bytes queued and not yet written.
	// 0 means fastws.DefaultQueueLimit (1 MiB).
	QueueLimit int
	// QueueMessages bounds the messages queued. 0 means
	// fastws.DefaultQueueMessages (4096).
	QueueMessages int
	// QueuePolicy is what a message into a full queue does:
	// QueueDropOldest (the default here, since a hub's subscriber wants
	// the latest) drops the oldest queued messages and counts them,
	// QueueClose closes the connection with 1008, QueueRefuse and
	// QueueDrop drop the new message (the hub counts it).
	QueuePolicy fastws.QueuePolicy
	// WriteTimeout bounds one write to the connection; a write that takes
	// longer closes it, since its peer has stopped reading. 0 means 30
	// seconds.
	WriteTimeout time.Duration
}

// A ConnSubscriber is a *fastws.Conn as a hub Subscriber: messages queue
// in memory, bounded by its ConnOptions, and a goroutine of its own,
// running while there is something to send, writes them to the Conn with
// WritePreparedMessages, up to 32 at a time (the small ones in one
// write). The program reads from the Conn as usual, and calls Close when
// it is done.
type ConnSubscriber struct {
	c    *fastws.Conn
	opts ConnOptions

	mu      sync.Mutex
	queue   []*fastws.PreparedMessage // from head
	head    int
	bytes   int
	dropped int64
	writing bool
	closed  bool

	// writer is writeLoop as a func value made once ("go
	// cs.writeLoop()" allocates a closure at every start), and timer
	// ends a write that takes longer than WriteTimeout by closing the
	// connection.
	writer func()
	timer  *time.Timer
}

// NewConnSubscriber returns a Subscriber that writes to c.
func NewConnSubscriber(c *fastws.Conn, opts *ConnOptions) *ConnSubscriber {
	cs := &ConnSubscriber{c: c}
	if opts != nil {
		cs.opts = *opts
	}
	if cs.opts.QueueLimit <= 0 {
		cs.opts.QueueLimit = fastws.DefaultQueueLimit
	}
	if cs.opts.QueueMessages <= 0 {
		cs.opts.QueueMessages = fastws.DefaultQueueMessages
	}
	if cs.opts.WriteTimeout <= 0 {
		cs.opts.WriteTimeout = defaultWriteTimeout
	}
	cs.writer = cs.writeLoop
	cs.timer = time.AfterFunc(time.Hour, func() { _ = c.CloseNow() })
	cs.timer.Stop()
	return cs
}

// Conn returns the connection.
func (cs *ConnSubscriber) Conn() *fastws.Conn { return cs.c }

// WritePrepared queues pm for the connection. It never blocks.
func (cs *ConnSubscriber) WritePrepared(pm *fastws.PreparedMessage) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return fastws.ErrClosed
	}
	for cs.full() {
		switch cs.opts.QueuePolicy {
		case fastws.QueueDropOldest:
			if !cs.dropOldest() {
				goto queue
			}
		case fastws.QueueClose:
			cs.closed = true
			cs.discard()
			go cs.c.Close(fastws.ClosePolicyViolation, "outbound queue full")
			return fastws.ErrQueueFullClose
		case fastws.QueueDrop:
			cs.dropped++
			return nil
		default:
			return fastws.ErrQueueFull
		}
	}
queue:
	cs.queue = append(cs.queue, pm)
	cs.bytes += pm.Len()
	if !cs.writing {
		cs.writing = true
		go cs.writer()
	}
	return nil
}

// full reports whether the queue has no room for one more message: it
// takes one while it holds less than its byte limit, so any message fits
// in an empty queue.
func (cs *ConnSubscriber) full() bool {
	n := len(cs.queue) - cs.head
	return n > 0 && (cs.bytes >= cs.opts.QueueLimit || n >= cs.opts.QueueMessages)
}

// dropOldest drops the oldest queued messages until the queue is at
// half its limits, so that a subscriber that has stopped reading costs
// the publisher a drop now and then rather than one per message.
func (cs *ConnSubscriber) dropOldest() bool {
	dropped := false
	for len(cs.queue)-cs.head > 0 && (cs.bytes > cs.opts.QueueLimit/2 || len(cs.queue)-cs.head > cs.opts.QueueMessages/2) {
		cs.bytes -= cs.queue[cs.head].Len()
		cs.queue[cs.head] = nil
		cs.head++
		cs.dropped++
		dropped = true
	}
	return dropped
}

func (cs *ConnSubscriber) discard() {
	clear(cs.queue)
	cs.queue, cs.head, cs.bytes = cs.queue[:0], 0, 0
}

// writeBatch bounds the messages the writer takes off the queue for one
// WritePreparedMessages call, which gathers the small ones into one
// write. On the writer's stack: a writer starts for every burst, so its
// stack is kept small.
const writeBatch = 32

// writeLoop writes what is queued until the queue is empty, a batch at a
// time.
func (cs *ConnSubscriber) writeLoop() {
	var batch [writeBatch]*fastws.PreparedMessage
	for {
		cs.mu.Lock()
		if cs.head == len(cs.queue) || cs.closed {
			cs.discard()
			cs.writing = false
			cs.mu.Unlock()
			return
		}
		n := copy(batch[:], cs.queue[cs.head:])
		clear(cs.queue[cs.head : cs.head+n])
		cs.head += n
		for _, pm := range batch[:n] {
			cs.bytes -= pm.Len()
		}
		if cs.head > len(cs.queue)/2 {
			m := copy(cs.queue, cs.queue[cs.head:])
			clear(cs.queue[m:])
			cs.queue, cs.head = cs.queue[:m], 0
		}
		cs.mu.Unlock()

		// One timer for the subscriber, armed per write: a context
		// with a timeout would allocate for every batch.
		cs.timer.Reset(cs.opts.WriteTimeout)
		err := cs.c.WritePreparedMessages(context.Background(), batch[:n])
		cs.timer.Stop()
		clear(batch[:n])
		if err != nil {
			cs.mu.Lock()
			cs.closed = true
			cs.mu.Unlock()
			_ = cs.c.CloseNow()
		}
	}
}

// Queued returns the payload bytes queued and not yet being written.
func (cs *ConnSubscriber) Queued() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.bytes
}

// Dropped returns how many messages the queue dropped.
func (cs *ConnSubscriber) Dropped() int64 {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.dropped
}

// Close stops delivery: what is queued is dropped, and later messages
// are refused with fastws.ErrClosed (the hub then forgets the
// subscriber). It does not close the Conn.
func (cs *ConnSubscriber) Close() {
	cs.mu.Lock()
	cs.closed = true
	cs.discard()
	cs.mu.Unlock()
}

const defaultWriteTimeout = 30 * time.Second
