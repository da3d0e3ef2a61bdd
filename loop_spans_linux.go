//go:build linux

package fastws

import "sync"

// msgSpan is where one queued data message lies in a loop connection's
// output buffer: [start, end). The spans let the queue count its
// messages (ServerOptions.QueueMessages) and drop the oldest ones
// (QueueDropOldest) from among the control frames that must stay.
type msgSpan struct{ start, end int }

// spanPool keeps span lists between bursts: an idle connection holds
// none, and a busy one does not allocate one per burst.
var spanPool = sync.Pool{New: func() any { s := make([]msgSpan, 0, 16); return &s }}

// messageQueuedLocked records the data message whose last n bytes were
// just appended to the output (n is 0 when the socket took it all at
// once). started says its first bytes were written already: it may not
// be dropped.
func (c *loopConn) messageQueuedLocked(n int, started bool) {
	if n == 0 {
		c.loop.srv.stats.messagesOut.Add(1) // written whole already
		return
	}
	if c.spans == nil {
		c.spans = spanPool.Get().(*[]msgSpan)
	}
	end := len(*c.out)
	start := end - n
	if started {
		start = -1 // before any outPos
	}
	*c.spans = append(*c.spans, msgSpan{start, end})
	c.q.messages++
}

// messagesSentLocked forgets the messages written completely, and counts
// them out: a message queued and then dropped, or discarded when the
// connection ends, never is.
func (c *loopConn) messagesSentLocked() {
	if c.spans == nil {
		if c.outShared && c.outPos == len(*c.out) {
			c.q.messages-- // a PreparedMessage's frame, alone, written
			c.loop.srv.stats.messagesOut.Add(1)
		}
		return
	}
	s := *c.spans
	i := 0
	for i < len(s) && s[i].end <= c.outPos {
		i++
	}
	if i > 0 {
		*c.spans = s[:copy(s, s[i:])]
		c.q.messages -= int32(i)
		c.loop.srv.stats.messagesOut.Add(int64(i))
	}
}

// shiftSpansLocked follows the output buffer's bytes moving n to the
// left.
func (c *loopConn) shiftSpansLocked(n int) {
	if c.spans == nil {
		return
	}
	for i := range *c.spans {
		(*c.spans)[i].start -= n
		(*c.spans)[i].end -= n
	}
}

// releaseSpansLocked gives the span list back once the output is empty.
func (c *loopConn) releaseSpansLocked() {
	if c.spans != nil {
		*c.spans = (*c.spans)[:0]
		spanPool.Put(c.spans)
		c.spans = nil
	}
}

// dropOldestLocked drops the oldest queued data messages that have not
// started to go out until the queue is at half its limits, closing up
// the output buffer in one pass over what follows them.
func (c *loopConn) dropOldestLocked() {
	if c.outShared {
		// The buffer is about to be rewritten: make it this
		// connection's, with its span.
		c.reserveLocked(0)
	}
	if c.spans == nil {
		return
	}
	s := *c.spans
	first := 0
	if len(s) > 0 && s[0].start < c.outPos {
		first = 1 // partly written: it must go out whole
	}
	last, bytes := first, 0
	for last < len(s) && c.q.overHalf(bytes, last-first) {
		bytes += s[last].end - s[last].start
		last++
	}
	if last == first {
		return
	}
	out := *c.out
	// Keep what lies between the dropped messages (control frames, or
	// nothing) and everything after the last one.
	dst := s[first].start
	for i := first; i < last; i++ {
		keepTo := len(out)
		if i+1 < last {
			keepTo = s[i+1].start
		}
		dst += copy(out[dst:], out[s[i].end:keepTo])
	}
	*c.out = out[:dst]
	for i := last; i < len(s); i++ {
		s[i].start -= bytes
		s[i].end -= bytes
	}
	*c.spans = append(s[:first], s[last:]...)
	msgs := last - first
	c.q.removed(bytes, msgs)
	c.loop.srv.stats.bytesQueued.Add(-int64(bytes))
	c.loop.srv.stats.dropped.Add(int64(msgs))
}
