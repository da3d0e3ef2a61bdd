//go:build linux

package fastws

import (
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws/internal/netpoll"
	"github.com/fastws/fastws/wsframe"
	"golang.org/x/sys/unix"
)

// loopReadBuffer is the size of the read buffer each loop shares among
// its connections: an idle connection holds none. A message that arrives
// whole in one read reaches its handler where it lies, so it is large
// enough for a 64 KiB message and its header in one read.
const loopReadBuffer = 256 << 10

// loopStallAfter is how long a loop may stay in one turn before the
// watchdog reports that a handler is blocking it.
const loopStallAfter = 100 * time.Millisecond

// eventLoop is one goroutine, locked to its thread, that owns an epoll
// instance and the connections registered with it.
type eventLoop struct {
	srv    *Server
	poller *netpoll.Poller
	conns  []*loopConn // by descriptor
	count  int         // connections registered
	buf    []byte
	events []netpoll.Event
	wheel  timerWheel

	openReq OpenRequest // what OnOpen is handed, on the loop

	// rereads are the connections to read again before the next wait:
	// the poller is edge-triggered, and reports a socket when data
	// arrives, not while some is left. A read that fills the buffer may
	// have left some, and a hang-up is reported once, however much data
	// is still before it.
	rereads, rereadsSpare []reread

	// settleLater are the connections with permessage-deflate read this
	// turn, settled (their output written) after the turn's reads
	// rather than right after their own: compressing and inflating one
	// connection after another, without a write(2) between them, keeps
	// the codec's code and tables in the nearer caches. See DESIGN.md,
	// "Compressed connections write after the turn's reads".
	settleLater []*loopConn

	// What deliver inflates a compressed message with: the loop inflates
	// its messages and hands them to their handlers one at a time, so
	// one spill (its chunk list) and one source serve them all, where
	// new ones were two allocations per message.
	inflated spill
	source   wholeSource

	// A connection at rest between messages keeps no Parser: it is lent
	// this one, Reset, for each read, and keeps one of its own (from
	// parsers) only while a read leaves a frame or a message unfinished.
	// An idle connection is then its loopConn alone.
	parser     wsframe.Parser
	parserLent bool
	parsers    []*wsframe.Parser

	mu       sync.Mutex // guards what other goroutines hand the loop
	incoming []acceptedConn
	spareIn  []acceptedConn // incoming's other half, as spare is flush's
	flush    []*loopConn    // connections with work queued by other goroutines
	spare    []*loopConn    // the other flush list: the two take turns, so that a busy loop allocates none
	stopping bool

	turnStart atomic.Int64  // Unix nanoseconds when the current turn began; 0 between turns
	turns     atomic.Uint64 // epoll_wait returns: what an idle loop must keep near 0
	stalls    atomic.Int64
	done      chan struct{}
}

// maxSpareParsers bounds the Parsers a loop keeps for connections that
// stop mid-frame, about 7 KiB.
const maxSpareParsers = 64

// ownParser returns a Parser for a connection to keep.
func (l *eventLoop) ownParser() *wsframe.Parser {
	if n := len(l.parsers); n > 0 {
		p := l.parsers[n-1]
		l.parsers[n-1] = nil
		l.parsers = l.parsers[:n-1]
		return p
	}
	return new(wsframe.Parser)
}

// spareParser takes back a Parser a connection no longer needs.
func (l *eventLoop) spareParser(p *wsframe.Parser) {
	if len(l.parsers) < maxSpareParsers {
		l.parsers = append(l.parsers, p)
	}
}

// acceptedConn is a descriptor handed to a loop, with its peer's address
// (invalid for a Unix socket), and for a connection net/http upgraded,
// what its handshake settled.
type acceptedConn struct {
	fd      int
	peer    netip.AddrPort
	adopted *adoptedConn
}

// adoptedConn is what a connection that net/http upgraded brings to the
// loop: the handshake's outcome, the request, and the bytes the client
// sent after it.
type adoptedConn struct {
	neg  negotiated
	req  *OpenRequest
	rest []byte
}

func newEventLoop(srv *Server) (*eventLoop, error) {
	p, err := netpoll.NewEdgeTriggered()
	if err != nil {
		return nil, err
	}
	l := &eventLoop{
		srv: srv, poller: p,
		buf:    make([]byte, loopReadBuffer),
		events: make([]netpoll.Event, 256),
		done:   make(chan struct{}),
	}
	l.wheel.init(time.Now().UnixNano())
	go l.run()
	return l, nil
}

// hand gives the loop a new connection.
func (l *eventLoop) hand(a acceptedConn) bool {
	l.mu.Lock()
	if l.stopping {
		l.mu.Unlock()
		return false
	}
	l.incoming = append(l.incoming, a)
	l.mu.Unlock()
	_ = l.poller.Wake()
	return true
}

// schedule asks the loop to look at c: a write, a close or a drain that
// another goroutine queued.
func (l *eventLoop) schedule(c *loopConn) {
	l.mu.Lock()
	l.flush = append(l.flush, c)
	l.mu.Unlock()
	_ = l.poller.Wake()
}

// stop makes the loop end once it has no connections left.
func (l *eventLoop) stop() {
	l.mu.Lock()
	l.stopping = true
	l.mu.Unlock()
	_ = l.poller.Wake()
}

func (l *eventLoop) run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(l.done)
	defer l.poller.Close()
	for {
		wait := l.wheel.waitMillis(time.Now().UnixNano())
		if len(l.rereads) > 0 {
			wait = 0 // take what else is ready, then read those again
		}
		n, err := l.poller.Wait(l.events, wait)
		if err != nil {
			l.srv.logf("fastws: event loop: epoll_wait: %v", err)
			return
		}
		now := time.Now().UnixNano()
		l.turnStart.Store(now)
		l.turns.Add(1)
		for i := range n {
			ev := &l.events[i]
			if l.poller.IsWake(ev) {
				if l.takeWork() {
					return
				}
				continue
			}
			fd := int(ev.Fd)
			if fd >= len(l.conns) || l.conns[fd] == nil {
				continue
			}
			c := l.conns[fd]
			if ev.Events&netpoll.Readable != 0 {
				c.readable(now)
				if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
					// The end of the stream, reported once,
					// after what data is left: read on until
					// a read sees it.
					l.readLater(c, true)
				}
			}
			if ev.Events&unix.EPOLLOUT != 0 && l.conns[fd] == c {
				c.writable()
			}
		}
		if len(l.rereads) > 0 {
			l.readAgain(now)
		}
		l.settleDeferred(now)
		l.wheel.advance(now, func(c *loopConn) { c.checkTimers(now) })
		l.turnStart.Store(0)
	}
}

// takeWork registers new connections and does what other goroutines
// queued. It reports whether the loop should end.
func (l *eventLoop) takeWork() (exit bool) {
	l.mu.Lock()
	incoming, flush := l.incoming, l.flush
	l.incoming, l.flush, l.spare, l.spareIn = l.spareIn, l.spare, nil, nil
	stopping := l.stopping
	l.mu.Unlock()
	now := time.Now().UnixNano()
	for i, a := range incoming {
		l.register(a, now)
		incoming[i] = acceptedConn{}
	}
	for i, c := range flush {
		c.scheduledWork()
		flush[i] = nil
	}
	l.mu.Lock()
	l.spare, l.spareIn = flush[:0], incoming[:0]
	l.mu.Unlock()
	if stopping {
		// The Server has no session left: what remains is in its
		// opening handshake, or hanging up.
		for _, c := range l.conns {
			if c != nil {
				c.finish(CloseEvent{Cause: ClosedForShutdown, Code: CloseAbnormal})
			}
		}
	}
	return stopping && l.count == 0
}

func (l *eventLoop) register(a acceptedConn, now int64) {
	if a.fd >= len(l.conns) {
		grown := make([]*loopConn, max(2*len(l.conns), a.fd+1, 64))
		copy(grown, l.conns)
		l.conns = grown
	}
	c := newLoopConn(l, a, now)
	l.conns[a.fd] = c
	l.count++
	if err := l.poller.Add(a.fd, false); err != nil {
		l.srv.logf("fastws: event loop: registering a connection: %v", err)
		c.finish(CloseEvent{})
		return
	}
	if a.adopted != nil {
		c.adopt(a.adopted, now)
	}
}

// unregister forgets c, whose descriptor is about to be closed.
func (l *eventLoop) unregister(c *loopConn) {
	if l.conns[int(c.fd)] == c {
		l.conns[int(c.fd)] = nil
		l.count--
		_ = l.poller.Remove(int(c.fd))
	}
}

// loopGroup is a Server's event loops.
type loopGroup struct {
	loops []*eventLoop
	next  atomic.Uint32
	stop  chan struct{}
}

func newLoopGroup(srv *Server, n int) (*loopGroup, error) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	g := &loopGroup{stop: make(chan struct{})}
	for range n {
		l, err := newEventLoop(srv)
		if err != nil {
			g.close()
			return nil, err
		}
		g.loops = append(g.loops, l)
	}
	go g.watch(srv)
	return g, nil
}

// pick spreads connections over the loops in turn.
func (g *loopGroup) pick() *eventLoop {
	return g.loops[int(g.next.Add(1))%len(g.loops)]
}

// close stops the loops once their connections are gone and waits for
// them.
func (g *loopGroup) close() {
	select {
	case <-g.stop:
	default:
		close(g.stop)
	}
	for _, l := range g.loops {
		l.stop()
	}
	for _, l := range g.loops {
		<-l.done
	}
}

// watch reports loops that stay in one turn too long: a handler that
// blocks its loop holds up every connection on it.
func (g *loopGroup) watch(srv *Server) {
	t := time.NewTicker(loopStallAfter / 2)
	defer t.Stop()
	for {
		select {
		case <-g.stop:
			return
		case <-t.C:
		}
		now := time.Now().UnixNano()
		for i, l := range g.loops {
			if start := l.turnStart.Load(); start != 0 && now-start > int64(loopStallAfter) {
				if l.stalls.Add(1) == 1 || l.stalls.Load()%100 == 0 {
					srv.logf("fastws: event loop %d has been in one turn for %v: a handler is blocking it (run blocking work on another goroutine, or set ServerOptions.HandlerGoroutines)", i, time.Duration(now-start).Round(time.Millisecond))
				}
			}
		}
	}
}

// reread is a connection to read again, and whether its peer has hung up,
// in which case it is read until a read sees the end.
type reread struct {
	c   *loopConn
	hup bool
}

// settleBatch is the most connections a loop leaves to settle after
// its reads: each holds its output buffer meanwhile, and the buffers go
// back to the pool together, which keeps them. With a whole turn (up to
// 256 events) a burst of 1,000 compressed 16 KiB echoes left the loops'
// RSS 2-4 KiB per connection higher until the next GC.
const settleBatch = 32

// settleAfterReads leaves c's settle for the end of the turn's reads, or
// of this batch of them; x is c's loopExtra, which a compressed
// connection always has.
func (l *eventLoop) settleAfterReads(c *loopConn, x *loopExtra, now int64) {
	if x.settleLater {
		return
	}
	x.settleLater = true
	l.settleLater = append(l.settleLater, c)
	if len(l.settleLater) >= settleBatch {
		l.settleDeferred(now)
	}
}

// settleDeferred settles the connections settleAfterReads put aside.
func (l *eventLoop) settleDeferred(now int64) {
	for i, c := range l.settleLater {
		c.x().settleLater = false
		c.settle(now)
		l.settleLater[i] = nil
	}
	l.settleLater = l.settleLater[:0]
}

// readLater puts c in the rereads. The one event of a turn for c may
// add it twice in a row (a full buffer, then the hang-up with it); a
// duplicate elsewhere would cost only a read that finds nothing.
func (l *eventLoop) readLater(c *loopConn, hup bool) {
	if n := len(l.rereads); n > 0 && l.rereads[n-1].c == c {
		l.rereads[n-1].hup = l.rereads[n-1].hup || hup
		return
	}
	l.rereads = append(l.rereads, reread{c, hup})
}

// readAgain reads once more from each connection in the rereads, after
// the turn's events: a connection with much to read takes its turn with
// the others instead of before them, as level-triggered polling gave it.
// One whose reads are paused is left to the re-arming of its reads,
// which reports what is waiting, the end of the stream included.
func (l *eventLoop) readAgain(now int64) {
	list := l.rereads
	l.rereads = l.rereadsSpare[:0]
	for _, r := range list {
		c := r.c
		if l.conns[int(c.fd)] != c || c.state == stateDone {
			continue
		}
		c.mu.Lock()
		off := c.readOff
		c.mu.Unlock()
		if off {
			continue
		}
		if c.readable(now) && r.hup && l.conns[int(c.fd)] == c && c.state != stateDone {
			l.readLater(c, true) // data before the end: the end is next
		}
	}
	clear(list)
	l.rereadsSpare = list[:0]
}
