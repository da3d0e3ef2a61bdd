package natsbridge

import (
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/fastws/fastws"
	"github.com/nats-io/nats.go"
)

// receiver is the delivering half of a Bridge. nats.go calls receive
// from one goroutine per subscription, in arrival order; the mutex is
// there for Close, which must not return while a delivery is under way.
type receiver struct {
	mu      sync.Mutex
	closed  bool
	origins originTable
}

func (r *receiver) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
}

// receive delivers a message from another node to the hub's local
// subscribers.
func (b *Bridge) receive(msg *nats.Msg) {
	b.stats.received.Add(1)
	r := &b.recv
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	tok, ok := strings.CutPrefix(msg.Subject, b.prefix)
	if !ok {
		b.bad("subject %q outside the prefix", msg.Subject)
		return
	}
	topic, err := unescape(tok)
	if err != nil {
		b.bad("subject %q: %v", msg.Subject, err)
		return
	}
	m, err := decode(msg.Data)
	if err != nil {
		b.bad("on %q: %v", msg.Subject, err)
		return
	}
	if m.origin == b.id {
		b.stats.ownEchoes.Add(1)
		return
	}
	// The sequence is recorded before the payload is checked: a message
	// that arrived malformed is bad, not lost.
	lost, dup := r.origins.see(m.origin, m.seq, time.Now())
	b.stats.origins.Store(int64(r.origins.len()))
	if dup {
		b.stats.dupes.Add(1)
		return
	}
	if lost > 0 {
		b.stats.lost.Add(int64(lost))
		if n := b.stats.gaps.Add(1); n&(n-1) == 0 {
			b.logf("%d messages from node %s never arrived (gap %d so far)", lost, hex.EncodeToString(m.origin[:]), n)
		}
	}
	// One PreparedMessage for all the local subscribers: the hub hands
	// the same frame to each.
	pm, err := fastws.NewPreparedMessage(m.typ, m.payload)
	if err != nil {
		b.bad("on %q: %v", msg.Subject, err)
		return
	}
	b.stats.delivered.Add(int64(b.h.Deliver(topic, pm)))
}

// bad counts an undecodable message, and logs the 1st, 2nd, 4th, 8th...
// so that a stream of them (a node of another version) does not flood
// the log.
func (b *Bridge) bad(format string, args ...any) {
	if n := b.stats.badMessages.Add(1); n&(n-1) == 0 {
		b.logf("bad message #%d: "+format, append([]any{n}, args...)...)
	}
}
