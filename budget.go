package fastws

import (
	"sync/atomic"

	"github.com/fastws/fastws/wsframe"
)

// A MemoryBudget bounds the memory that the connections sharing it hold in
// messages they are still receiving, so that a server's worst case is a
// number its operator chooses rather than the number of connections times
// the message size limit. Set the same budget on every connection of a
// server (ConnOptions.MemoryBudget).
//
// What counts: the pooled chunks in which a message of unknown size waits
// (see AppendMessage), and memory allocated for a message before its last
// byte arrived. Bytes read into the caller's own buffer, and a message once
// handed over, do not count: they are the application's. A connection
// whose message would take the budget past its limit is failed with close
// code 1013 (try again later: the server, not the message, is the reason;
// a message over MaxMessageSize gets 1009), and its reader gets an error
// for which errors.Is(err, ErrMemoryBudget) holds. Messages that fit the
// connection's read buffer or the caller's buffer never touch the budget,
// so traffic well below it is not affected.
//
// The budget covers what the library gathers for the caller: ReadMessage,
// AppendMessage and HandleMessages, and on a Server the messages its
// event loops gather and what every Session has queued to send. NextReader
// and the Stream adapter read into the caller's buffers and gather
// nothing but a compressed message of one frame of at most 64 KiB, whose
// compressed bytes are gathered before it is inflated while the budget
// has room for them (else it is inflated as it arrives); ReadFrame, which hands over one raw frame at a time, is bounded
// by MaxFrameSize instead. A Session write that would pass the budget
// closes its connection with 1013 and returns ErrMemoryBudget.
//
// A MemoryBudget is safe for use by any number of connections at once.
type MemoryBudget struct {
	limit   int64
	used    atomic.Int64
	refused atomic.Int64
}

// NewMemoryBudget returns a budget of limit bytes.
func NewMemoryBudget(limit int64) *MemoryBudget {
	return &MemoryBudget{limit: limit}
}

// Limit returns the budget's size in bytes.
func (b *MemoryBudget) Limit() int64 { return b.limit }

// InUse returns the bytes held now by messages being received.
func (b *MemoryBudget) InUse() int64 { return b.used.Load() }

// Refused returns how many connections were failed because the budget
// was spent.
func (b *MemoryBudget) Refused() int64 { return b.refused.Load() }

// take reserves n bytes, or reports false (and counts a refusal) if that
// would pass the limit. A nil budget allows everything.
func (b *MemoryBudget) take(n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		b.refused.Add(1)
		return false
	}
	return true
}

// tryTake reserves n bytes if that stays within the limit, without
// counting a refusal: for a caller that has a way on which needs no
// memory (a compressed frame inflated as it arrives instead of gathered
// first).
func (b *MemoryBudget) tryTake(n int64) bool {
	if b == nil || n <= 0 {
		return true
	}
	if b.used.Add(n) > b.limit {
		b.used.Add(-n)
		return false
	}
	return true
}

// charge counts n bytes held whatever the limit: bytes already committed
// (a control frame, the handshake's answer) that refusing would not free.
func (b *MemoryBudget) charge(n int64) {
	if b != nil && n > 0 {
		b.used.Add(n)
	}
}

// full reports whether n more bytes would pass the limit, counting a
// refusal when they would.
func (b *MemoryBudget) full(n int64) bool {
	if b == nil || b.used.Load()+n <= b.limit {
		return false
	}
	b.refused.Add(1)
	return true
}

// give returns n bytes taken before.
func (b *MemoryBudget) give(n int64) {
	if b != nil && n > 0 {
		b.used.Add(-n)
	}
}

// ErrMemoryBudget is the error of a connection failed because its message
// would have passed the MemoryBudget; the peer got close code 1013.
var ErrMemoryBudget error = errMemoryBudget

var errMemoryBudget = &wsframe.ProtocolError{
	Code: CloseTryAgainLater,
	Rule: "the server's memory budget for messages being received is spent; try again later",
}
