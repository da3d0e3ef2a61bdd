package fastws

import (
	"errors"
	"fmt"
)

// DefaultQueueLimit is the default bound on the bytes a Session may have
// queued for sending: 1 MiB, a few round trips of a busy connection, and
// small enough that ten thousand stalled readers cost at most 10 GiB only
// if every one of them is being written to at once.
const DefaultQueueLimit = 1 << 20

// DefaultQueueMessages is the default bound on the messages a Session may
// have queued: 4096, so that a queue of tiny messages (a chat's, a
// ticker's) stays a few hundred KiB of bookkeeping at most.
const DefaultQueueMessages = 4096

// QueuePolicy is what Session.WriteMessage does when the connection's
// outbound queue is full (ServerOptions.QueueLimit).
type QueuePolicy uint8

// The queue policies.
const (
	// QueueRefuse refuses the message: WriteMessage returns ErrQueueFull
	// and queues nothing, and the caller decides (wait for OnDrain, drop
	// it, close). The default.
	QueueRefuse QueuePolicy = iota
	// QueueDrop drops the message and counts it (Session.Dropped,
	// ServerStats.Dropped); WriteMessage returns nil. For feeds where the
	// next message replaces the last.
	QueueDrop
	// QueueClose closes the connection with 1008 (policy violation): a
	// reader that cannot keep up is dropped. WriteMessage returns
	// ErrQueueFullClose.
	QueueClose
	// QueueDropOldest makes room by dropping the oldest queued data
	// messages that have not started to go out, down to half the queue's
	// limits (so that a reader that has stopped costs a drop now and then,
	// not one per message), counts them (Session.Dropped,
	// ServerStats.Dropped), and queues the new one; WriteMessage returns
	// nil. Pings and close frames are never dropped. For a broadcast
	// subscriber, who wants the latest messages rather than the first.
	QueueDropOldest
)

// ErrQueueFull is returned by Session.WriteMessage when the connection's
// outbound queue has no room for the message under QueueRefuse.
var ErrQueueFull = errors.New("fastws: the connection's outbound queue is full")

// ErrQueueFullClose is returned by Session.WriteMessage when the
// connection's outbound queue has no room for the message under
// QueueClose: the connection is being closed with 1008. It wraps
// ErrQueueFull, so errors.Is(err, ErrQueueFull) holds for both.
var ErrQueueFullClose = fmt.Errorf("%w, and the connection is being closed with 1008", ErrQueueFull)

// admission is what the queue makes of a message offered to it.
type admission uint8

const (
	admitQueue admission = iota
	admitRefuse
	admitDrop
	admitClose
	admitDropOldest // drop the oldest (dropOldest), then queue
)

// queueLimits are the bounds and policy every connection of a Server
// shares, resolved from its ServerOptions once.
type queueLimits struct {
	limit    int
	msgLimit int
	policy   QueuePolicy
	budget   *MemoryBudget // counts what is queued, when the Server has one
}

func newQueueLimits(o *ServerOptions) *queueLimits {
	l := &queueLimits{limit: o.QueueLimit, msgLimit: o.QueueMessages, policy: o.QueuePolicy, budget: o.MemoryBudget}
	if l.limit <= 0 {
		l.limit = DefaultQueueLimit
	}
	if l.msgLimit <= 0 {
		l.msgLimit = DefaultQueueMessages
	}
	return l
}

// outQueue is the accounting of a connection's outbound queue, the same on
// both drivers; the driver holds the bytes and its own lock around these
// calls.
//
// A message is admitted when the bytes already queued are below the
// limit, so a queue holds at most the limit plus one message: any message
// the connection may send fits in an empty queue, whatever its size.
type outQueue struct {
	*queueLimits       // shared: an idle loop connection counts its bytes
	bytes        int   // queued and not yet written
	dropped      int64 // under QueueDrop and QueueDropOldest
	messages     int32 // data messages queued and not completely written
	congested    bool  // a message was refused, or the queue passed half its limit
}

// full reports whether the queue has no room for another message.
func (q *outQueue) full() bool {
	return q.bytes > 0 && (q.bytes >= q.limit || int(q.messages) >= q.msgLimit)
}

// admit decides about the next message, from what is queued before it.
func (q *outQueue) admit() admission {
	if q.full() {
		q.congested = true
		switch q.policy {
		case QueueDrop:
			q.dropped++
			return admitDrop
		case QueueClose:
			return admitClose
		case QueueDropOldest:
			return admitDropOldest
		default:
			return admitRefuse
		}
	}
	return admitQueue
}

// overHalf reports whether the queue, less bytes and messages, would be
// over half its limits: QueueDropOldest drops until it is not.
func (q *outQueue) overHalf(bytes, messages int) bool {
	return q.bytes-bytes > q.limit/2 || int(q.messages)-messages > q.msgLimit/2
}

// removed counts n bytes of dropped messages, which will not be written.
func (q *outQueue) removed(n, messages int) {
	q.budget.give(int64(n))
	q.bytes -= n
	q.messages -= int32(messages)
	q.dropped += int64(messages)
}

// add counts n more bytes queued.
func (q *outQueue) add(n int) {
	q.budget.charge(int64(n))
	q.bytes += n
	if q.bytes > q.limit/2 {
		q.congested = true
	}
}

// sent records that n queued bytes were written. It reports whether the
// queue has just drained after congestion, which is when OnDrain runs.
func (q *outQueue) sent(n int) (drained bool) {
	q.budget.give(int64(n))
	q.bytes -= n
	if q.bytes == 0 && q.congested {
		q.congested = false
		return true
	}
	return false
}

// admitWrite applies the queue policy and the memory budget to one more
// message of n bytes on a Server's connection and counts what it decided.
// The caller queues the message on admitQueue, drops the oldest and
// queues it on admitDropOldest, closes the connection with 1008 on
// admitClose (1013 when err is ErrMemoryBudget), and returns err
// otherwise.
func (srv *Server) admitWrite(q *outQueue, n int) (admission, error) {
	if q.budget.full(int64(n)) {
		return admitClose, ErrMemoryBudget
	}
	a := q.admit()
	switch a {
	case admitRefuse:
		srv.stats.refused.Add(1)
		return a, ErrQueueFull
	case admitDrop:
		srv.stats.dropped.Add(1)
	case admitClose:
		srv.stats.congestionCloses.Add(1)
		return a, ErrQueueFullClose
	}
	return a, nil
}

// closeForCongestion is the close frame, and the cause OnClose reports,
// of a connection closed because of what it queued: 1008 under
// QueueClose, 1013 when the Server's MemoryBudget is spent.
func closeForCongestion(err error) (CloseCode, string, CloseCause) {
	if err == ErrMemoryBudget {
		return CloseTryAgainLater, "the server's memory budget is spent", ClosedForCongestion
	}
	return ClosePolicyViolation, "outbound queue full", ClosedForCongestion
}
