package fastws

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/wsframe"
)

// connSession is the goroutine driver of a Session: the connection's
// goroutine reads and runs the handler, and a writer goroutine, started
// when something is queued and gone when the queue is empty, sends.
type connSession struct {
	srv *Server
	s   Session
	c   *Conn

	// cbMu keeps the handler's calls for this connection from
	// overlapping: OnDrain runs on the writer goroutine.
	cbMu sync.Mutex

	mu          sync.Mutex
	idle        sync.Cond // signalled when the writer stops
	q           outQueue
	items       []outItem // queued from head on; the array is reused, so a busy connection allocates none
	head        int
	sending     int // items[head:sending] are being written: the writer's alone
	writing     bool
	closeQueued bool // a close frame is queued: no more writes
	cause       CloseCause
	code        CloseCode
	reason      string

	timer      *time.Timer // heartbeat and idle timeout, when set
	closeTimer *time.Timer // ends a closing handshake that takes too long
	lastRead   atomic.Int64
	pingSent   atomic.Int64 // Unix nanoseconds of the unanswered ping, 0 when none
	lastPing   int64        // when the last ping went out; the timer's own

	// writer is writeLoop as a func value made once: "go cs.writeLoop()"
	// would allocate a closure each time the writer starts, which at a
	// broadcast's pace is once per delivery.
	writer func()
}

// outItem is one queued frame or message, with its own copy of the
// payload.
type outItem struct {
	op     wsframe.Opcode // 0 for a data message
	typ    MessageType
	buf    *[]byte
	pm     *PreparedMessage // a prepared message instead of buf
	n      int
	code   CloseCode
	reason string
}

// serveConn runs the handler for c on this goroutine until the connection
// ends.
func (srv *Server) serveConn(c *Conn, req *OpenRequest) {
	cs := &connSession{srv: srv, c: c}
	cs.writer = cs.writeLoop
	cs.s = Session{drv: cs}
	cs.q.queueLimits = srv.qlimits
	cs.idle.L = &cs.mu
	c.flushFirst = cs.drain
	s := &cs.s
	if !srv.track(s) {
		_ = c.Close(CloseGoingAway, "server shutting down")
		return
	}
	c.opts.OnPing = func(p []byte) {
		cs.touch()
		if srv.ping != nil {
			cs.cbMu.Lock()
			srv.ping.OnPing(s, p)
			cs.cbMu.Unlock()
		}
	}
	c.opts.OnPong = func(p []byte) {
		cs.touch()
		cs.pingSent.Store(0)
		if srv.pong != nil {
			cs.cbMu.Lock()
			srv.pong.OnPong(s, p)
			cs.cbMu.Unlock()
		}
	}
	cs.cbMu.Lock()
	srv.h.OnOpen(s, req)
	cs.cbMu.Unlock()
	cs.startTimer()

	err := c.HandleMessages(context.Background(), func(typ MessageType, msg []byte) error {
		cs.touch()
		srv.stats.messagesIn.Add(1)
		cs.cbMu.Lock()
		srv.h.OnMessage(s, typ, msg)
		cs.cbMu.Unlock()
		cs.waitForRoom()
		return nil
	})
	if !c.lingering.Load() {
		c.CloseNow() // the writer, if any, stops
	}
	// Else the read side failed, sent its close frame and lingers: it
	// closes the transport once the peer stops sending, or at the close
	// timeout, which also stops a writer still blocked on the socket.
	// Closing it now, with the peer's bytes unread, would reset the
	// connection and destroy the close frame on its way.
	if cs.timer != nil {
		cs.timer.Stop()
	}
	cs.mu.Lock()
	if cs.closeTimer != nil {
		cs.closeTimer.Stop()
	}
	cs.mu.Unlock()
	cs.mu.Lock()
	ev := closeEventFor(err, cs.cause, cs.code, cs.reason)
	cs.mu.Unlock()
	cs.cbMu.Lock()
	srv.h.OnClose(s, ev)
	cs.cbMu.Unlock()
	srv.untrack(s)
}

func (cs *connSession) write(typ MessageType, p []byte) error {
	return cs.enqueue(outItem{typ: typ}, p)
}

func (cs *connSession) writePrepared(pm *PreparedMessage) error {
	return cs.enqueue(outItem{typ: pm.typ, pm: pm}, pm.payload)
}

func (cs *connSession) ping(payload []byte) error {
	return cs.enqueue(outItem{op: wsframe.OpPing}, payload)
}

// enqueue queues it with a copy of p, and starts the writer if it is not
// running.
func (cs *connSession) enqueue(it outItem, p []byte) error {
	cs.mu.Lock()
	if cs.closeQueued {
		cs.mu.Unlock()
		return ErrClosed
	}
	if it.op == 0 {
		switch a, err := cs.srv.admitWrite(&cs.q, len(p)); a {
		case admitQueue:
		case admitDropOldest:
			cs.dropOldestLocked()
		default:
			if a == admitClose {
				cs.queueCloseLocked(closeForCongestion(err))
			}
			cs.mu.Unlock()
			return err
		}
		it.n = len(p)
		cs.q.add(it.n)
		cs.q.messages++
		cs.srv.stats.bytesQueued.Add(int64(it.n))
	}
	if it.pm == nil {
		it.buf = bufpool.Get(len(p))
		*it.buf = append((*it.buf)[:0], p...)
	}
	cs.items = append(cs.items, it)
	cs.startWriterLocked()
	cs.mu.Unlock()
	return nil
}

func (cs *connSession) close(code CloseCode, reason string, cause CloseCause) error {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closeQueued {
		return ErrClosed
	}
	cs.queueCloseLocked(code, reason, cause)
	return nil
}

func (cs *connSession) queueCloseLocked(code CloseCode, reason string, cause CloseCause) {
	cs.closeQueued = true
	cs.cause, cs.code, cs.reason = cause, code, reason
	cs.items = append(cs.items, outItem{op: wsframe.OpClose, code: code, reason: reason})
	cs.startWriterLocked()
	// The close frame waits behind what is queued, and a peer that does
	// not read may hold the writer for ever: the closing handshake gets
	// the close timeout from now, as on the loops, and then the
	// connection is cut.
	cs.closeTimer = time.AfterFunc(cs.c.opts.closeTimeout(), func() { cs.c.CloseNow() })
}

func (cs *connSession) closeNow(cause CloseCause) {
	cs.mu.Lock()
	if cs.cause == 0 {
		cs.cause = cause
	}
	cs.closeQueued = true
	cs.mu.Unlock()
	cs.c.CloseNow()
}

func (cs *connSession) queued() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.q.bytes
}

func (cs *connSession) remoteAddr() net.Addr { return cs.c.RemoteAddr() }

func (cs *connSession) negotiated() (string, string) { return cs.c.protocol, cs.c.exts }

func (cs *connSession) dropped() int64 {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.q.dropped
}

func (cs *connSession) startWriterLocked() {
	if !cs.writing {
		cs.writing = true
		go cs.writer()
	}
}

// writeLoop sends what is queued, in order, until the queue is empty. A
// write blocks only this goroutine; it ends when the connection does.
// Small data messages queued together leave together, in one write (see
// writeBatch): a broadcast at full speed queues several for each
// subscriber while the last write is on its way. They are written from
// where they are queued, which the writer alone changes until it is done
// with them (sending marks them), so that taking them costs no copy and
// the writer's stack stays small: one starts for every burst.
func (cs *connSession) writeLoop() {
	for {
		cs.mu.Lock()
		if cs.head == len(cs.items) {
			cs.writing = false
			cs.items, cs.head, cs.sending = cs.items[:0], 0, 0
			cs.idle.Broadcast()
			cs.mu.Unlock()
			return
		}
		cs.sending = cs.batchEndLocked()
		items := cs.items[cs.head:cs.sending]
		cs.mu.Unlock()

		err := cs.send(items)
		n, msgs := 0, 0
		for i := range items {
			it := &items[i]
			if it.buf != nil {
				bufpool.Put(it.buf)
			}
			n += it.n
			if it.op == 0 {
				msgs++
			}
		}
		if err == nil {
			cs.srv.stats.messagesOut.Add(int64(msgs))
		}
		cs.srv.stats.bytesQueued.Add(-int64(n))
		cs.mu.Lock()
		// Cleared in cs.items, not items: an enqueue may have moved
		// the queue to a larger array meanwhile.
		clear(cs.items[cs.head:cs.sending])
		cs.head = cs.sending
		if cs.head >= 64 && cs.head > len(cs.items)/2 {
			// A queue that never empties moves its tail down rather
			// than grow at one end while it is freed at the other.
			m := copy(cs.items, cs.items[cs.head:])
			clear(cs.items[m:])
			cs.items, cs.head = cs.items[:m], 0
		}
		cs.sending = cs.head
		cs.q.messages -= int32(msgs)
		drained := cs.q.sent(n)
		if cs.q.bytes < cs.q.limit {
			cs.idle.Broadcast() // a reader waiting for room may go on
		}
		cs.mu.Unlock()
		if err != nil {
			cs.c.CloseNow()
			cs.discard()
			return
		}
		if drained && cs.srv.drain != nil {
			cs.cbMu.Lock()
			cs.srv.drain.OnDrain(&cs.s)
			cs.cbMu.Unlock()
		}
	}
}

// batchEndLocked returns where the writer's next send ends: after the
// next item, and after the batchable messages that follow it if it is
// batchable itself.
func (cs *connSession) batchEndLocked() int {
	end := cs.head + 1
	if cs.c.batchable(&cs.items[cs.head]) {
		for end < len(cs.items) && end-cs.head < batchItems && cs.c.batchable(&cs.items[end]) {
			end++
		}
	}
	return end
}

// send writes what batchEndLocked took: a batch in one write, or one
// item.
func (cs *connSession) send(items []outItem) error {
	ctx := context.Background()
	it := &items[0]
	switch {
	case cs.c.batchable(it):
		return cs.c.writeBatch(ctx, batchSource{items: items})
	case it.op == wsframe.OpPing:
		return cs.c.writeControl(ctx, wsframe.OpPing, *it.buf)
	case it.op == wsframe.OpClose:
		return cs.c.WriteClose(ctx, it.code, it.reason)
	case it.pm != nil:
		return cs.c.WritePrepared(ctx, it.pm)
	}
	return cs.c.WriteMessage(ctx, it.typ, (*it.buf)[:it.n])
}

// dropOldestLocked drops the oldest queued data messages that are not
// being written (none of which has started to go out) until the queue is
// at half its limits.
func (cs *connSession) dropOldestLocked() {
	bytes, msgs := 0, 0
	from := max(cs.head, cs.sending)
	kept := cs.items[:from]
	for _, it := range cs.items[from:] {
		if it.op == 0 && cs.q.overHalf(bytes, msgs) {
			bytes += it.n
			msgs++
			if it.buf != nil {
				bufpool.Put(it.buf)
			}
			continue
		}
		kept = append(kept, it)
	}
	clear(cs.items[len(kept):])
	cs.items = kept
	cs.q.removed(bytes, msgs)
	cs.srv.stats.bytesQueued.Add(-int64(bytes))
	cs.srv.stats.dropped.Add(int64(msgs))
}

// waitForRoom holds the reader while the connection's queue is at or over
// its limit: a peer that sends faster than it reads is slowed by TCP,
// rather than having the answers to what it sent refused.
func (cs *connSession) waitForRoom() {
	cs.mu.Lock()
	for cs.q.full() && cs.writing {
		cs.idle.Wait()
	}
	cs.mu.Unlock()
}

// drain waits, within the close timeout, for what the handler queued to
// be written: a connection failed for a protocol error sends its close
// frame after the messages it answered before the error, as the loop
// driver does.
func (cs *connSession) drain() {
	late := false
	t := time.AfterFunc(cs.c.opts.closeTimeout(), func() {
		cs.mu.Lock()
		late = true // give up waiting; the writer ends with the connection
		cs.idle.Broadcast()
		cs.mu.Unlock()
	})
	defer t.Stop()
	cs.mu.Lock()
	for cs.writing && !late {
		cs.idle.Wait()
	}
	cs.mu.Unlock()
}

// discard gives back what is still queued on a connection that can no
// longer be written to.
func (cs *connSession) discard() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	for i, it := range cs.items[cs.head:] {
		i += cs.head
		if it.buf != nil {
			bufpool.Put(it.buf)
		}
		if it.op == 0 {
			cs.q.messages--
		}
		cs.q.sent(it.n)
		cs.srv.stats.bytesQueued.Add(-int64(it.n))
		cs.items[i] = outItem{}
	}
	cs.items, cs.head, cs.sending = cs.items[:0], 0, 0
	cs.writing = false
	cs.closeQueued = true
	cs.idle.Broadcast()
}

// touch records that something arrived, for IdleTimeout.
func (cs *connSession) touch() {
	if cs.timer != nil {
		cs.lastRead.Store(time.Now().UnixNano())
	}
}

// startTimer arms the heartbeat and idle timer, when either is set: one
// timer per connection, ticking at the finest granularity they need.
func (cs *connSession) startTimer() {
	tick := timerTick(&cs.srv.opts)
	if tick == 0 {
		return
	}
	now := time.Now().UnixNano()
	cs.lastRead.Store(now)
	cs.lastPing = now
	// Armed in two steps, so that cs.timer is set before check can run.
	cs.timer = time.AfterFunc(time.Hour, func() { cs.check(tick) })
	cs.timer.Reset(tick)
}

// timerTick is how often a connection's timer looks at it: the heartbeat
// interval or timeout, whichever is shorter, and a quarter of the idle
// timeout; 0 when neither is set. A timeout is seen at most a tick late.
func timerTick(o *ServerOptions) time.Duration {
	var tick time.Duration
	if o.HeartbeatInterval > 0 {
		tick = min(o.HeartbeatInterval, o.heartbeatTimeout())
	}
	if o.IdleTimeout > 0 {
		idle := max(o.IdleTimeout/4, time.Millisecond)
		if tick == 0 || idle < tick {
			tick = idle
		}
	}
	return tick
}

// check runs on the timer: it times the connection out, or sends the next
// heartbeat ping once the last was answered and the interval has passed.
func (cs *connSession) check(tick time.Duration) {
	o := &cs.srv.opts
	now := time.Now().UnixNano()
	if timedOut(o, cs.pingSent.Load(), cs.lastRead.Load(), now) {
		cs.srv.stats.timeouts.Add(1)
		cs.closeNow(ClosedForTimeout)
		return
	}
	// A tick that comes a little early still sends the ping.
	if o.HeartbeatInterval > 0 && cs.pingSent.Load() == 0 && now-cs.lastPing >= int64(o.HeartbeatInterval-tick/8) {
		cs.lastPing = now
		cs.pingSent.Store(now)
		if err := cs.ping(nil); errors.Is(err, ErrClosed) {
			return
		}
	}
	cs.timer.Reset(tick)
}

// timedOut reports whether a connection whose unanswered ping went out at
// pingSent (0: none) and whose last read was at lastRead has timed out at
// t (all in Unix nanoseconds).
func timedOut(o *ServerOptions, pingSent, lastRead, t int64) bool {
	if o.HeartbeatInterval > 0 && pingSent != 0 && t-pingSent >= int64(o.heartbeatTimeout()) {
		return true
	}
	return o.IdleTimeout > 0 && t-lastRead >= int64(o.IdleTimeout)
}
