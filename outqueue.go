package fastws

import "errors"

// DefaultQueueLimit is the default bound on the bytes a Session may have
// queued for sending: 1 MiB, a few round trips of a busy connection, and
// small enough that ten thousand stalled readers cost at most 10 GiB only
// if every one of them is being written to at once.
const DefaultQueueLimit = 1 << 20

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
	// ErrQueueFull.
	QueueClose
)

// ErrQueueFull is returned by Session.WriteMessage when the connection's
// outbound queue has no room for the message under QueueRefuse or
// QueueClose.
var ErrQueueFull = errors.New("fastws: the connection's outbound queue is full")

// admission is what the queue makes of a message offered to it.
type admission uint8

const (
	admitQueue admission = iota
	admitRefuse
	admitDrop
	admitClose
)

// outQueue is the accounting of a connection's outbound queue, the same on
// both drivers; the driver holds the bytes and its own lock around these
// calls.
//
// A message is admitted when the bytes already queued are below the
// limit, so a queue holds at most the limit plus one message: any message
// the connection may send fits in an empty queue, whatever its size.
type outQueue struct {
	limit     int
	bytes     int // queued and not yet written
	dropped   int64
	budget    *MemoryBudget // counts what is queued, when the Server has one
	policy    QueuePolicy
	congested bool // a message was refused, or the queue passed half its limit
}

func (q *outQueue) init(limit int, policy QueuePolicy, budget *MemoryBudget) {
	if limit <= 0 {
		limit = DefaultQueueLimit
	}
	q.limit, q.policy, q.budget = limit, policy, budget
}

// admit decides about the next message, from what is queued before it.
func (q *outQueue) admit() admission {
	if q.bytes >= q.limit && q.bytes > 0 {
		q.congested = true
		switch q.policy {
		case QueueDrop:
			q.dropped++
			return admitDrop
		case QueueClose:
			return admitClose
		default:
			return admitRefuse
		}
	}
	return admitQueue
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
// The caller queues the message on admitQueue, closes the connection with
// 1008 on admitClose (1013 when err is ErrMemoryBudget), and returns err
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
		return a, ErrQueueFull
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
