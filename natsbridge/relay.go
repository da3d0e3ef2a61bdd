package natsbridge

import (
	"fmt"
	"sync"

	"github.com/fastws/fastws"
)

// maxCachedSubjects bounds the topic-to-subject cache; a hub with more
// live topics than this just builds some subjects again.
const maxCachedSubjects = 4096

// maxKeptBuffer is the largest encoding buffer kept between publishes,
// so that one large message does not pin its size for good.
const maxKeptBuffer = 64 << 10

// sender is the publishing half of a Bridge. One mutex covers numbering
// and publishing, so that sequence numbers go on the wire in order and a
// receiver's gaps are real losses, not two publishers overtaking each
// other.
type sender struct {
	mu       sync.Mutex
	seq      uint64
	buf      []byte            // reused: nats.Publish copies what it is given
	subjects map[string]string // topic to subject, sparing an allocation per publish
	closed   bool
}

func (s *sender) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// Relay publishes pm to the other nodes' subscribers of topic; it is the
// hub.Relay the hub calls after delivering pm locally. It does not wait
// for the server: nats.go buffers the message and sends it from its own
// goroutine, in call order, and while disconnected keeps it in its
// reconnect buffer (it writes to the socket itself only when its buffer
// is full, for at most nats.FlusherTimeout). It returns an error (counted in Stats.SendErrors)
// when NATS refuses the message: after Close, beyond the reconnect
// buffer, over the server's payload limit, or for a topic too long for
// a subject.
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
	// does not show as lost on every receiver. MaxPayload is 0 until the
	// first connection, when nats.go does not check either.
	if limit := b.nc.MaxPayload(); limit > 0 && int64(headerLen+pm.Len()) > limit {
		b.stats.sendErrors.Add(1)
		return fmt.Errorf("natsbridge: publish to %q: %d-byte message over the server's limit of %d", topic, pm.Len(), limit-headerLen)
	}
	// A number is spent even if Publish fails: the receivers then count
	// the message as lost, which it is.
	s.seq++
	s.buf = appendMessage(s.buf[:0], b.id, s.seq, pm)
	err := b.nc.Publish(subj, s.buf)
	if cap(s.buf) > maxKeptBuffer {
		s.buf = nil
	}
	if err != nil {
		b.stats.sendErrors.Add(1)
		return fmt.Errorf("natsbridge: publish to %q: %w", topic, err)
	}
	b.stats.sent.Add(1)
	return nil
}
