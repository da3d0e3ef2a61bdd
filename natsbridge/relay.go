package natsbridge

import (
	"errors"
	"fmt"
	"sync"

	"github.com/fastws/fastws"
)

// maxCachedSubjects bounds the topic-to-subject cache; a hub with more
// live topics than this just builds some subjects again.
const maxCachedSubjects = 4096

// maxKeptBuffer is the largest outbox buffer kept between batches, so
// that one burst does not pin its size for good while a steady flow
// reuses its buffers.
const maxKeptBuffer = 1 << 20

// ErrSendBufferFull is returned by Relay when the messages waiting to be
// handed to NATS already fill Options.SendBuffer: NATS is taking them
// slower than the hub publishes. The message is dropped (counted in
// Stats.SendDropped; the other nodes count it as lost) and the hub's
// local delivery is not affected.
var ErrSendBufferFull = errors.New("natsbridge: send buffer full")

// sender is the publishing half of a Bridge. Relay numbers and encodes a
// message into the outbox under mu and returns; the sender goroutine
// (run) hands batches to nats.go in the same order. A publisher, which
// may be an event loop serving thousands of connections, therefore never
// waits for nats.go, whose Publish writes to the socket itself when its
// own buffer is full and can block for up to its FlusherTimeout.
type sender struct {
	mu       sync.Mutex
	seq      uint64
	subjects map[string]string // topic to subject, sparing an allocation per publish
	closed   bool
	limit    int       // Options.SendBuffer
	out      []byte    // encoded messages waiting for run, back to back
	msgs     []pending // where each one in out ends, and its subject
	wake     chan struct{}
	done     chan struct{} // closed when run has handed over everything and returned

	// Only run touches these: the buffers of the batch it hands over,
	// swapped with out and msgs so that both are reused.
	spareOut  []byte
	spareMsgs []pending
}

type pending struct {
	subject string
	end     int // offset in the batch's buffer just past this message
}

func (s *sender) init(limit int) {
	s.subjects = make(map[string]string)
	s.limit = limit
	s.wake = make(chan struct{}, 1)
	s.done = make(chan struct{})
}

// queued returns the bytes waiting to be handed to NATS.
func (s *sender) queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.out)
}

// closeAndWait stops Relay accepting messages and waits until run has
// handed every accepted one to nats.go.
func (s *sender) closeAndWait() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
	<-s.done
}

func (s *sender) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Relay publishes pm to the other nodes' subscribers of topic; it is the
// hub.Relay the hub calls after delivering pm locally. It encodes the
// message into the bridge's send buffer and returns at once: the
// bridge's own goroutine hands the messages to nats.go in call order, so
// a publisher (an event loop's handler, say) never waits for NATS.
// Relay returns an error (counted in Stats.SendErrors) when the message
// cannot go: after Close, for a topic too long for a subject, over the
// server's payload limit, or when the send buffer is full
// (ErrSendBufferFull, counted in Stats.SendDropped too). What nats.go
// refuses later (while disconnected, beyond its reconnect buffer) is
// counted in Stats.SendErrors; the other nodes count every message that
// never arrived as lost, whichever the reason.
func (b *Bridge) Relay(topic string, pm *fastws.PreparedMessage) error {
	s := &b.send
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		b.stats.sendErrors.Add(1)
		return ErrClosed
	}
	subj, ok := s.subjects[topic]
	if !ok {
		subj = b.prefix + escape(topic)
		if len(subj) > maxSubjectLen {
			b.stats.sendErrors.Add(1)
			return ErrTopicTooLong
		}
		if len(s.subjects) >= maxCachedSubjects {
			clear(s.subjects)
		}
		s.subjects[topic] = subj
	}
	// Checked before numbering, so that a message refused for its size
	// does not show as lost on every receiver. The limit is 0 until the
	// first connection, when nats.go does not check either; it is read
	// from a copy because nats.go's MaxPayload takes the connection's
	// lock, which its Publish holds while it waits for the socket.
	size := headerLen + pm.Len()
	if limit := b.maxPayload.Load(); limit > 0 && int64(size) > limit {
		b.stats.sendErrors.Add(1)
		return fmt.Errorf("natsbridge: publish to %q: %d-byte message over the server's limit of %d", topic, pm.Len(), limit-headerLen)
	}
	// A number is spent even if the message is dropped: the receivers
	// then count it as lost, which it is. One message is taken whatever
	// its size when nothing waits, so that the limit never refuses a
	// message the server would take.
	s.seq++
	if len(s.out) > 0 && len(s.out)+size > s.limit {
		b.stats.sendErrors.Add(1)
		b.stats.sendDropped.Add(1)
		return ErrSendBufferFull
	}
	s.out = appendMessage(s.out, b.id, s.seq, pm)
	s.msgs = append(s.msgs, pending{subject: subj, end: len(s.out)})
	if len(s.msgs) == 1 {
		s.signal()
	}
	return nil
}

// run hands the outbox to nats.go, a batch at a time, until the bridge
// closes and the outbox is empty.
func (b *Bridge) run() {
	s := &b.send
	defer close(s.done)
	for range s.wake {
		s.mu.Lock()
		out, msgs, closed := s.out, s.msgs, s.closed
		s.out, s.msgs = s.spareOut[:0], s.spareMsgs[:0]
		s.mu.Unlock()
		start := 0
		for _, m := range msgs {
			if err := b.nc.Publish(m.subject, out[start:m.end]); err != nil {
				b.stats.sendErrors.Add(1)
				b.noteSendError(m.subject, err)
			} else {
				b.stats.sent.Add(1)
			}
			start = m.end
		}
		b.maxPayload.Store(b.nc.MaxPayload()) // the server's, which may change on a reconnect
		clear(msgs)                           // the subjects, for the collector
		s.spareOut, s.spareMsgs = out[:0], msgs[:0]
		if cap(out) > maxKeptBuffer {
			s.spareOut = nil
		}
		if closed {
			return
		}
	}
}

// noteSendError logs the first of a run of refusals by nats.go, not
// every one: a disconnected node refuses every message beyond its
// reconnect buffer.
func (b *Bridge) noteSendError(subject string, err error) {
	if n := b.stats.sendErrors.Load(); n&(n-1) == 0 { // 1, 2, 4, 8, ...
		b.logf("NATS refused a message to %s (%d refused so far): %v", subject, n, err)
	}
}
