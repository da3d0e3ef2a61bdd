//go:build linux

package fastws

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/internal/deflate"
	"github.com/fastws/fastws/wsframe"
	"golang.org/x/sys/unix"
)

// loopState is where a loop connection is in its life.
type loopState uint8

const (
	stateHandshake loopState = iota // reading the request
	stateRejected                   // the refusal is being written; then the descriptor closes
	stateOpen
	stateClosing // this side's close frame is queued; waiting for the peer's
	stateLinger  // failed: the close frame is out, waiting for the peer to hang up
	stateDone
)

// loopConn is a connection on an event loop. The loop owns the read side
// and the connection's life; writers on any goroutine share the write
// side under mu.
type loopConn struct {
	s    Session
	loop *eventLoop
	peer netip.AddrPort // kept small: a net.Addr is made when asked for

	// Owned by the loop. An idle connection is this struct and its
	// Parser, so the fields are ordered to pack.
	hs       *[]byte
	parser   *wsframe.Parser           // while a frame or message is unfinished, or the loop's, lent; else nil
	msg      *[]byte                   // a message gathered across reads
	extra    atomic.Pointer[loopExtra] // what only some connections need; see loopExtra
	timerAt  int64                     // the wheel's entry, 0 when none
	deadline int64                     // of the handshake, the closing handshake or the linger
	lastRead int64

	mu     sync.Mutex
	out    *[]byte    // frames not yet written, from outPos; a PreparedMessage's own frame when outShared
	spans  *[]msgSpan // where the data messages in out are, in order
	outPos int
	q      outQueue

	fd        int32
	threshold int32
	code      CloseCode
	cause     CloseCause
	state     loopState
	msgType   MessageType
	rsv       byte // the reserved bits the handshake allowed

	// Loop-owned flags.
	opened     bool // OnOpen ran: OnClose is owed
	msgZip     bool // the message being gathered is compressed
	endPending bool // end once the output is written

	// Flags guarded by mu.
	wantWrite    bool // waiting for EPOLLOUT
	readOff      bool // reads paused: the queue is over its limit
	inLoop       bool // the loop works on this connection and writes afterwards
	scheduled    bool // in the loop's flush list
	closeQueued  bool // a close frame is queued: no more writes
	closePending bool // the loop has yet to start the close timer
	closeNowReq  bool
	outShared    bool // out is a PreparedMessage's frame, queued by reference: read only, never pooled
	drained      bool // OnDrain is owed
	dead         bool // the descriptor is closed
	eof          bool // the peer sent its last byte: reads are over

	handlersBehind bool // guarded by mu: HandlerGoroutines has fallen behind
	compKept       bool // guarded by mu: the compressor holds a writer
	compTimed      bool // the loop's timers will release it
	writeFailed    bool // guarded by mu: a write failed, with extra's writeErr
}

// loopExtra is the part of a loop connection that only some connections
// need: compression, a heartbeat, a subprotocol, handler goroutines, a
// close reason, a failed write, and how it ended. An idle connection is
// its loopConn alone, so keeping these apart keeps the common one small
// (issue 14's 0.5 KiB).
//
// It is allocated with mu held, once, and the pointer never changes
// afterwards; it is atomic so that the loop may load it without mu.
type loopExtra struct {
	zip      *compression          // permessage-deflate's terms, when negotiated; set before the connection opens
	dec      *deflate.Decompressor // loop-owned, made for the first compressed message received
	comp     *deflate.Compressor   // guarded by mu, made for the first compressed message sent
	compUsed int64                 // guarded by mu: the last compressed message
	lastPing int64                 // loop-owned
	pingSent int64                 // loop-owned
	hq       *handlerQueue         // HandlerGoroutines' callbacks, once one ran
	protocol string                // guarded by mu
	exts     string                // guarded by mu
	reason   string                // guarded by mu: of the close frame queued
	writeErr error                 // guarded by mu
	endEvent CloseEvent            // loop-owned: how it ended, decided before the last bytes go out
	ended    bool                  // endEvent is set

	settleLater bool // loop-owned: in the loop's settleLater list
}

// x returns c's loopExtra, or nil.
func (c *loopConn) x() *loopExtra { return c.extra.Load() }

// extraLocked returns c's loopExtra, allocating it; mu is held.
func (c *loopConn) extraLocked() *loopExtra {
	x := c.extra.Load()
	if x == nil {
		x = new(loopExtra)
		c.extra.Store(x)
	}
	return x
}

// extraOnLoop is extraLocked for the loop when it does not hold mu.
func (c *loopConn) extraOnLoop() *loopExtra {
	if x := c.extra.Load(); x != nil {
		return x
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.extraLocked()
}

// writeErrLocked is the error a write failed with, or nil.
func (c *loopConn) writeErrLocked() error {
	if !c.writeFailed {
		return nil
	}
	return c.x().writeErr
}

// failWriteLocked records that a write failed with err.
func (c *loopConn) failWriteLocked(err error) {
	c.extraLocked().writeErr = err
	c.writeFailed = true
}

// reasonLocked is the reason of the close frame queued, if any.
func (c *loopConn) reasonLocked() string {
	if x := c.x(); x != nil {
		return x.reason
	}
	return ""
}

// comp returns the compressor, or nil; the caller holds mu or is the loop.
func (c *loopConn) comp() *deflate.Compressor {
	if x := c.x(); x != nil {
		return x.comp
	}
	return nil
}

// The codecs are made when first used, not when the handshake settles
// them: most connections that negotiate compression sit idle, and the
// two cost about 300 bytes before they hold any window (issue 14 asks
// for 1 KiB per idle compressed connection).

// compressorLocked returns the compressor, making it; nil when the
// connection does not compress. mu is held.
func (c *loopConn) compressorLocked() *deflate.Compressor {
	x := c.x()
	if x == nil || x.zip == nil {
		return nil
	}
	if x.comp == nil {
		a := &x.zip.agreement
		x.comp = deflate.NewCompressor(x.zip.level, a.CompressWindowBits, !a.CompressNoContextTakeover)
	}
	return x.comp
}

// decompressor returns the decompressor, making it; the loop calls it
// for a compressed message, which only a compressing connection parses.
func (c *loopConn) decompressor() *deflate.Decompressor {
	x := c.x()
	if x.dec == nil {
		a := &x.zip.agreement
		x.dec = deflate.NewDecompressor(a.DecompressWindowBits, !a.DecompressNoContextTakeover)
	}
	return x.dec
}

func (c *loopConn) negotiated() (string, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if x := c.x(); x != nil {
		return x.protocol, x.exts
	}
	return "", ""
}

func newLoopConn(l *eventLoop, a acceptedConn, now int64) *loopConn {
	c := &loopConn{loop: l, fd: int32(a.fd), peer: a.peer, lastRead: now}
	c.s = Session{drv: c}
	c.q.queueLimits = l.srv.qlimits
	if a.adopted == nil {
		c.deadline = now + int64(l.srv.opts.handshakeTimeout())
		l.wheel.schedule(c, c.deadline)
	}
	return c
}

// adopt starts a connection whose handshake net/http ran.
func (c *loopConn) adopt(a *adoptedConn, now int64) {
	c.enter()
	c.setup(&a.neg)
	if !c.loop.srv.track(&c.s) {
		_ = c.close(CloseGoingAway, "server shutting down", ClosedForShutdown)
		c.state = stateClosing
		c.settle(now)
		return
	}
	c.opened = true
	c.onOpen(a.req)
	if len(a.rest) > 0 && c.state == stateOpen {
		c.consume(a.rest)
	}
	c.settle(now)
}

// testHookLoopRead, when a test sets it, is called before each read of a
// connection's socket.
var testHookLoopRead func(*loopConn)

// readable reads what arrived and acts on it.
func (c *loopConn) readable(now int64) (took bool) {
	if c.eof {
		return false // a hang-up reported while the last output drains
	}
	if x := c.x(); x != nil && x.settleLater {
		// Read again in the same turn (a reread): what the first read
		// queued goes out first, as it did when every read settled, so
		// that an end of stream or a failure found now finds it sent.
		// FuzzLoopInflatedAgainstGoroutines found an echo lost to the
		// hang-up read after it.
		c.settle(now)
		if c.state == stateDone {
			// The settle ended the connection (a failed write, a close
			// it had to make) and closed its descriptor, whose number
			// another thread may already have been given for a new
			// socket: reading it would take that socket's bytes.
			return false
		}
	}
	buf := c.loop.buf
	if testHookLoopRead != nil {
		testHookLoopRead(c)
	}
	n, err := unix.Read(int(c.fd), buf)
	if err == unix.EAGAIN {
		return false
	}
	if err == unix.EINTR {
		c.loop.readLater(c, false) // no edge will say the data is still there
		return false
	}
	if n <= 0 {
		if err == nil {
			err = io.EOF
		}
		c.lost(err)
		return false
	}
	c.lastRead = now
	if n == len(buf) {
		c.loop.readLater(c, false) // there may be more, and no edge for it
	}
	data := buf[:n]
	c.enter()
	switch c.state {
	case stateHandshake:
		c.handshake(data, now)
	case stateOpen, stateClosing:
		c.consume(data)
	}
	if x := c.x(); x != nil && x.zip != nil {
		c.loop.settleAfterReads(c, x, now)
		return true
	}
	c.settle(now)
	return true
}

// writable continues output that the socket did not take at once.
func (c *loopConn) writable() {
	c.mu.Lock()
	if c.wantWrite {
		c.flushLocked()
	}
	c.mu.Unlock()
	c.settle(time.Now().UnixNano())
}

// enter marks the loop as working on c: writes made meanwhile, by the
// handler or anyone else, are left for settle to send in one go.
func (c *loopConn) enter() {
	c.mu.Lock()
	c.inLoop = true
	c.mu.Unlock()
}

// settle writes what is queued and acts on what writers asked for (a
// close, a drain, a failed write). It runs on the loop after each read,
// when the socket becomes writable, and when another goroutine scheduled
// the connection.
func (c *loopConn) settle(now int64) {
	if c.state == stateDone {
		return
	}
	c.mu.Lock()
	c.inLoop, c.scheduled = false, false
	if !c.wantWrite && c.pendingOutput() > 0 {
		c.flushLocked()
	} else if !c.dead {
		c.watchLocked()
	}
	closeNow, closePending, drained, werr := c.closeNowReq, c.closePending, c.drained, c.writeErrLocked()
	c.closePending, c.drained = false, false
	if c.compKept && !c.compTimed {
		c.compTimed = true
		c.loop.wheel.schedule(c, c.x().compUsed+int64(compressorIdleRelease))
	}
	empty := c.pendingOutput() == 0
	cause := c.cause
	c.mu.Unlock()

	switch {
	case werr != nil:
		ev := c.ending()
		if !c.endPending {
			ev = closeEventFor(werr, cause, 0, "")
		}
		c.finish(ev)
		return
	case closeNow:
		c.finish(CloseEvent{Cause: cause, Code: CloseAbnormal})
		return
	}
	if closePending && c.state == stateOpen {
		c.state = stateClosing
		c.armCloseTimer()
	}
	if c.state == stateRejected && empty {
		c.finish(CloseEvent{})
		return
	}
	if c.endPending && empty {
		c.endPending = false
		if c.state == stateLinger {
			// The peer should read our close frame before it sees the
			// connection go: half-close and wait for it to hang up.
			_ = unix.Shutdown(int(c.fd), unix.SHUT_WR)
			c.armCloseTimer()
		} else {
			c.finish(c.ending())
			return
		}
	}
	if drained && c.opened && c.loop.srv.drain != nil && c.state == stateOpen {
		c.onDrain()
	}
}

// call runs a handler callback with writes held for settle.
func (c *loopConn) call(f func()) {
	c.enter()
	f()
	c.settle(time.Now().UnixNano())
}

// scheduledWork is settle for a connection another goroutine scheduled.
func (c *loopConn) scheduledWork() { c.settle(time.Now().UnixNano()) }

// lost handles the end of input: the peer hung up or the read failed.
func (c *loopConn) lost(err error) {
	switch c.state {
	case stateLinger, stateRejected, stateHandshake:
		c.finish(c.ending())
		return
	}
	if err == io.EOF {
		err = &CloseError{Code: CloseAbnormal}
	}
	c.mu.Lock()
	cause, code, reason := c.cause, c.code, c.reasonLocked()
	c.mu.Unlock()
	ev := closeEventFor(err, cause, code, reason)
	if cause == ClosedForTimeout || cause == ClosedForCongestion {
		ev = CloseEvent{Cause: cause, Code: CloseAbnormal, Err: err}
	}
	c.mu.Lock()
	c.eof = true
	pending := c.pendingOutput() > 0 && !c.writeFailed && !c.dead
	if pending {
		c.watchLocked() // no more reads: the end of the stream stays readable
	}
	c.mu.Unlock()
	if pending {
		// The peer stopped sending but may still read: what is queued
		// goes out first, within the close timeout.
		c.setEnding(ev)
		c.endPending = true
		c.state = stateClosing
		c.armCloseTimer()
		return
	}
	c.finish(ev)
}

// finish ends the connection: the descriptor is closed, what is queued is
// dropped, and the handler hears of it once.
func (c *loopConn) finish(ev CloseEvent) {
	if c.state == stateDone {
		return
	}
	c.state = stateDone
	c.mu.Lock()
	c.dead, c.closeQueued = true, true
	if c.out != nil {
		c.q.sent(c.pendingOutput())
		c.loop.srv.stats.bytesQueued.Add(-int64(c.pendingOutput()))
		c.dropOutLocked()
		c.q.messages = 0
		c.releaseSpansLocked()
	}
	if comp := c.comp(); comp != nil {
		comp.Release()
	}
	c.mu.Unlock()
	c.loop.unregister(c)
	_ = unix.Close(int(c.fd))
	if c.hs != nil {
		bufpool.Put(c.hs)
		c.hs = nil
	}
	c.dropMessage()
	if x := c.x(); x != nil && x.dec != nil {
		x.dec.End()
	}
	c.report(ev)
}

// ending is how the connection ends, once that is decided.
func (c *loopConn) ending() CloseEvent {
	x := c.x()
	if x == nil || !x.ended {
		return CloseEvent{}
	}
	return x.endEvent
}

func (c *loopConn) setEnding(ev CloseEvent) {
	x := c.extraOnLoop()
	x.endEvent, x.ended = ev, true
}

// report tells the handler how the connection ended, once. A connection
// failed for a protocol error is reported at once, while the loop still
// waits for the peer to hang up.
func (c *loopConn) report(ev CloseEvent) {
	if !c.opened {
		return
	}
	c.opened = false
	if ev.Cause == ClosedForTimeout {
		c.loop.srv.stats.timeouts.Add(1)
	}
	c.onClose(ev)
}

func (c *loopConn) dropMessage() {
	if c.msg != nil {
		c.loop.srv.opts.MemoryBudget.give(int64(cap(*c.msg)))
		bufpool.Put(c.msg)
		c.msg = nil
	}
}

// handshake gathers the request and answers it.
func (c *loopConn) handshake(data []byte, now int64) {
	srv := c.loop.srv
	o := &srv.opts.AcceptOptions
	limit := o.maxHeaderBytes()
	// A request that arrives whole in one read is parsed where it lies;
	// one split across reads is gathered in a buffer that starts small,
	// so that a peer that sends half a request and stalls holds little.
	var gathered []byte
	take := len(data)
	end := -1
	if c.hs == nil {
		end = headEnd(data[:min(len(data), limit)], 0)
	}
	if end >= 0 {
		gathered = data
	} else {
		if c.hs == nil {
			c.hs = bufpool.Get(min(limit, max(2*len(data), 1<<10)))
			*c.hs = (*c.hs)[:0]
		}
		from := len(*c.hs)
		take = min(len(data), limit-from)
		if need := from + take; need > cap(*c.hs) {
			nb := bufpool.Get(min(limit, max(need, 2*cap(*c.hs))))
			*nb = append((*nb)[:0], *c.hs...)
			bufpool.Put(c.hs)
			c.hs = nb
		}
		*c.hs = append(*c.hs, data[:take]...)
		gathered = *c.hs
		end = headEnd(gathered, from)
	}
	tooBig := end < 0 && len(gathered) >= limit
	if end < 0 && !tooBig {
		return
	}
	if tooBig {
		end = 0
	}
	head := gathered[:end]
	out := bufpool.Get(512)
	var neg negotiated
	key, rej := checkRequest(out, head, tooBig, o, &neg)
	if rej == nil {
		var accept [28]byte
		acceptKey(&accept, key)
		*out = appendSwitching((*out)[:0], &accept, &neg, o.ResponseHeader)
	}
	c.mu.Lock()
	c.out, c.outPos = out, 0
	c.q.add(len(*out)) // counted like every other byte queued, so that the count comes back to 0
	c.loop.srv.stats.bytesQueued.Add(int64(len(*out)))
	c.mu.Unlock()
	if rej != nil {
		srv.stats.handshakeFailures.Add(1)
		c.state = stateRejected
		return
	}
	c.setup(&neg)
	if !srv.track(&c.s) {
		_ = c.close(CloseGoingAway, "server shutting down", ClosedForShutdown)
		c.state = stateClosing
		return
	}
	c.opened = true
	// One OpenRequest per loop, as it is valid only during OnOpen: a
	// connection that opens allocates nothing for it.
	req := &c.loop.openReq
	*req = OpenRequest{head: head, sess: &c.s}
	c.onOpen(req)
	*req = OpenRequest{}
	// What followed the request in the same reads is the stream's start.
	rest, more := gathered[end:], data[take:]
	if len(rest) > 0 && c.state == stateOpen {
		c.consume(rest)
	}
	if len(more) > 0 && c.state == stateOpen {
		c.consume(more)
	}
	if c.hs != nil {
		bufpool.Put(c.hs)
		c.hs = nil
	}
}

// setup readies the protocol state for what the handshake settled.
func (c *loopConn) setup(neg *negotiated) {
	c.state = stateOpen
	c.deadline = 0
	c.rsv = neg.rsv
	tick := timerTick(&c.loop.srv.opts)
	if neg.deflate != nil || neg.protocol != "" || neg.extensions != "" || tick > 0 {
		c.mu.Lock()
		x := c.extraLocked()
		x.protocol, x.exts = neg.protocol, neg.extensions
		if z := neg.deflate; z != nil {
			c.rsv |= wsframe.Rsv1
			x.zip = z
			c.threshold = int32(z.threshold)
		}
		x.lastPing = c.lastRead
		c.mu.Unlock()
	}
	if tick > 0 {
		c.loop.wheel.schedule(c, c.lastRead+int64(tick))
	}
}

// parserConfig is the Config of c's Parser, which c keeps only while a
// frame or message is unfinished (see eventLoop.parser).
func (c *loopConn) parserConfig() wsframe.Config {
	o := &c.loop.srv.opts.ConnOptions
	x := c.x()
	return wsframe.Config{Role: ServerSide, MaxMessageSize: o.MaxMessageSize, MaxFrameSize: o.MaxFrameSize,
		Rsv: c.rsv, Deflate: x != nil && x.zip != nil}
}

// checkTimers runs when the wheel brings c up.
func (c *loopConn) checkTimers(now int64) {
	o := &c.loop.srv.opts
	switch c.state {
	case stateDone:
		return
	case stateHandshake, stateRejected:
		if now >= c.deadline {
			c.loop.srv.stats.handshakeFailures.Add(1)
			c.finish(CloseEvent{})
		} else {
			c.loop.wheel.schedule(c, c.deadline)
		}
		return
	case stateClosing, stateLinger:
		if now >= c.deadline {
			ev := c.ending()
			if c.state == stateClosing {
				c.mu.Lock()
				ev = CloseEvent{Cause: c.cause, Code: CloseAbnormal, Err: errCloseTimeout}
				c.mu.Unlock()
			}
			c.finish(ev)
		} else {
			c.loop.wheel.schedule(c, c.deadline)
		}
		return
	}
	if c.compTimed {
		c.mu.Lock()
		if idle := now - c.x().compUsed; idle >= int64(compressorIdleRelease) {
			c.x().comp.Release()
			c.compKept, c.compTimed = false, false
		} else {
			c.loop.wheel.schedule(c, c.x().compUsed+int64(compressorIdleRelease))
		}
		c.mu.Unlock()
	}
	tick := timerTick(o)
	if tick == 0 {
		return
	}
	x := c.x() // setup made it: timers are on
	if timedOut(o, x.pingSent, c.lastRead, now) {
		c.mu.Lock()
		c.cause = ClosedForTimeout
		c.mu.Unlock()
		c.finish(CloseEvent{Cause: ClosedForTimeout, Code: CloseAbnormal, Err: errTimedOut})
		return
	}
	if o.HeartbeatInterval > 0 && x.pingSent == 0 && now-x.lastPing >= int64(o.HeartbeatInterval-tick/8) {
		x.lastPing, x.pingSent = now, now
		c.enter()
		_ = c.ping(nil)
		c.settle(now)
	}
	if c.state == stateOpen {
		c.loop.wheel.schedule(c, now+int64(tick))
	}
}

// pendingOutput is how many queued bytes are not written yet.
func (c *loopConn) pendingOutput() int {
	if c.out == nil {
		return 0
	}
	return len(*c.out) - c.outPos
}

// flushLocked writes what is queued, as far as the socket takes it, and
// asks for EPOLLOUT when it does not take everything.
func (c *loopConn) flushLocked() {
	if c.dead || c.writeFailed {
		return
	}
	sent := 0
	for c.pendingOutput() > 0 {
		n, err := unix.Write(int(c.fd), (*c.out)[c.outPos:])
		if n > 0 {
			c.outPos += n
			sent += n
		}
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			c.failWriteLocked(err)
			break
		}
	}
	if sent > 0 {
		c.loop.srv.stats.bytesQueued.Add(-int64(sent))
		c.messagesSentLocked()
		if c.q.sent(sent) {
			c.drained = true
		}
	}
	if c.pendingOutput() == 0 {
		// An idle connection keeps no buffer.
		c.dropOutLocked()
		c.releaseSpansLocked()
	}
	c.watchLocked()
}

// dropOutLocked lets go of the output buffer: back to the pool, unless it
// is a PreparedMessage's frame.
func (c *loopConn) dropOutLocked() {
	if c.out != nil && !c.outShared {
		bufpool.Put(c.out)
	}
	c.out, c.outPos, c.outShared = nil, 0, false
}

// watchLocked asks epoll for what the connection needs: writability while
// output waits, and reads only while its queue is below the limit. A peer
// that sends faster than it reads is slowed by TCP, rather than having
// the answers to what it sent refused.
func (c *loopConn) watchLocked() {
	write := c.pendingOutput() > 0 && !c.writeFailed
	read := !c.q.full() && !c.eof && !c.handlersBehind
	if write != c.wantWrite || read == c.readOff {
		c.wantWrite, c.readOff = write, !read
		_ = c.loop.poller.Modify(int(c.fd), read, write)
	}
}

// kickLocked gets queued output moving: at once from this goroutine when
// the loop is not busy with the connection and the socket is not full,
// else by the loop.
func (c *loopConn) kickLocked() {
	if c.inLoop || c.dead {
		return // settle flushes, or nothing will
	}
	if c.wantWrite {
		c.watchLocked() // EPOLLOUT carries on; reads may have to pause
		return
	}
	c.flushLocked()
	if c.writeFailed || c.drained || c.closePending || c.closeNowReq {
		c.scheduleLocked()
	}
}

func (c *loopConn) scheduleLocked() {
	if !c.scheduled && !c.inLoop {
		c.scheduled = true
		c.loop.schedule(c)
	}
}

// appendFrameLocked queues one frame, and returns its length.
func (c *loopConn) appendFrameLocked(h wsframe.Header, payload []byte) int {
	h.Length = int64(len(payload))
	c.reserveLocked(wsframe.MaxHeaderSize + len(payload))
	before := len(*c.out)
	*c.out = wsframe.AppendHeader(*c.out, h)
	*c.out = append(*c.out, payload...)
	n := len(*c.out) - before
	c.queuedLocked(n)
	return n
}

// appendEncodedLocked queues a frame encoded beforehand, and returns its
// length.
func (c *loopConn) appendEncodedLocked(frame []byte) int {
	c.reserveLocked(len(frame))
	*c.out = append(*c.out, frame...)
	c.queuedLocked(len(frame))
	return len(frame)
}

// reserveLocked readies the output buffer for n more bytes: one from the
// pool when there is none, a larger one from the pool when what is
// unwritten would fill more than half of it, and what was written moved
// out of the way once it is half the buffer.
func (c *loopConn) reserveLocked(n int) {
	switch {
	case c.outShared:
		// A PreparedMessage's frame queued by reference: what is left
		// of it moves to a buffer of this connection's, which the
		// queue can then append to and compact, and its implicit span
		// becomes a real one (started, after the shift, if some of it
		// was written).
		if c.spans == nil {
			c.spans = spanPool.Get().(*[]msgSpan)
			*c.spans = append(*c.spans, msgSpan{0, len(*c.out)})
		}
		nb := bufpool.Get(len(*c.out) - c.outPos + n)
		*nb = append((*nb)[:0], (*c.out)[c.outPos:]...)
		c.out, c.outShared = nb, false
		c.shiftSpansLocked(c.outPos)
		c.outPos = 0
	case c.out == nil:
		c.out = bufpool.Get(n)
		*c.out = (*c.out)[:0]
	case len(*c.out)+n > cap(*c.out) && len(*c.out)-c.outPos+n > cap(*c.out)/2:
		// Grow from the pool rather than by append, so that a queue
		// that comes and goes allocates nothing once the pool is warm.
		nb := bufpool.Get(max(len(*c.out)-c.outPos+n, 2*cap(*c.out)))
		*nb = append((*nb)[:0], (*c.out)[c.outPos:]...)
		bufpool.Put(c.out)
		c.out = nb
		c.shiftSpansLocked(c.outPos)
		c.outPos = 0
	case c.outPos > 0 && c.outPos >= len(*c.out)/2:
		*c.out = (*c.out)[:copy(*c.out, (*c.out)[c.outPos:])]
		c.shiftSpansLocked(c.outPos)
		c.outPos = 0
	}
}

// queuedLocked counts n bytes appended to the output.
func (c *loopConn) queuedLocked(n int) {
	c.q.add(n)
	c.loop.srv.stats.bytesQueued.Add(int64(n))
}

func (c *loopConn) write(typ MessageType, p []byte) error { return c.send(typ, p, nil) }

func (c *loopConn) writePrepared(pm *PreparedMessage) error { return c.send(pm.typ, pm.payload, pm) }

// send queues a data message: p, or pm's frame when pm is set and the
// connection can send it as it is.
func (c *loopConn) send(typ MessageType, p []byte, pm *PreparedMessage) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeQueued {
		return ErrClosed
	}
	switch a, err := c.loop.srv.admitWrite(&c.q, len(p)); a {
	case admitQueue:
	case admitDropOldest:
		c.dropOldestLocked()
	default:
		if a == admitClose {
			c.queueCloseLocked(closeForCongestion(err))
		}
		return err
	}
	if pm != nil {
		if frame := pm.sharedFrame(c.compressorLocked(), int(c.threshold)); frame != nil {
			if c.out == nil {
				// Nothing queued: the queue is the frame itself,
				// by reference, so that a broadcast costs no buffer,
				// no copy and no span list per connection (its span
				// is implicit while it is alone). Anything queued
				// behind it copies it first (reserveLocked).
				c.out, c.outPos, c.outShared = frame, 0, true
				c.queuedLocked(len(*frame))
				c.q.messages++
			} else {
				c.messageQueuedLocked(c.appendEncodedLocked(*frame), false)
			}
			// Sent by the loop rather than from here: a publisher
			// writing to many connections does not make a system
			// call for each, and what several publishes queue for
			// one connection leaves in one write.
			if !c.inLoop {
				c.scheduleLocked()
			}
			return nil
		}
	}
	h := wsframe.Header{Fin: true, Opcode: wsframe.Opcode(typ &^ Uncompressed)}
	var comp *deflate.Compressor
	if typ&Uncompressed == 0 && len(p) >= int(c.threshold) {
		comp = c.compressorLocked()
	}
	if comp != nil {
		buf := bufpool.Get(len(p) + len(p)>>6 + 64)
		out := comp.Compress((*buf)[:0], p)
		if !comp.Idle() {
			// With context takeover the writer is kept while the
			// connection is busy (priming a fresh one from the window
			// costs several compressions) and given back after
			// compressorIdleRelease without a compressed message, by
			// the loop's timers, as the Conn does; the first message
			// after a quiet spell gives it back at once
			// (keepCompressor).
			if !keepCompressor(&c.x().compUsed, time.Now().UnixNano()) {
				comp.Release()
			} else if !c.compKept {
				c.compKept = true
				c.scheduleLocked()
			}
		}
		h.Rsv = wsframe.Rsv1
		c.messageQueuedLocked(c.appendFrameLocked(h, out), false)
		bufpool.Put(buf)
	} else if done, rest := c.writeDirectLocked(h, p); done {
		c.messageQueuedLocked(rest, true)
	} else {
		c.messageQueuedLocked(c.appendFrameLocked(h, p), false)
	}
	c.kickLocked()
	return nil
}

// directWriteMin is the size from which a message is written from the
// caller's memory when nothing is queued before it: copying it into the
// queue would cost more than batching it with other frames saves, and
// would hold it twice.
const directWriteMin = 16 << 10

// writeDirectLocked writes a large message straight from p when the queue
// is empty, and queues only what the socket did not take. It reports
// whether it handled the message, and how many of its bytes it queued.
func (c *loopConn) writeDirectLocked(h wsframe.Header, p []byte) (done bool, queued int) {
	if len(p) < directWriteMin || c.pendingOutput() > 0 || c.wantWrite || c.dead || c.writeFailed {
		return false, 0
	}
	h.Length = int64(len(p))
	var hdr [wsframe.MaxHeaderSize]byte
	head := wsframe.AppendHeader(hdr[:0], h)
	// sysWritev, not unix.Writev, whose slices escape: the header would
	// be an allocation per message.
	n, errno := sysWritev(uintptr(c.fd), head, p)
	if errno != 0 && errno != unix.EAGAIN {
		c.failWriteLocked(errno)
		return true, 0
	}
	n = max(n, 0)
	if n >= len(head) {
		head, p = nil, p[n-len(head):]
	} else {
		head = head[n:]
	}
	if rest := len(head) + len(p); rest > 0 {
		// The socket is full: the rest waits in the queue, which
		// counts it like any other queued byte.
		c.out = bufpool.Get(rest)
		*c.out = append(append((*c.out)[:0], head...), p...)
		c.outPos = 0
		c.q.add(rest)
		c.loop.srv.stats.bytesQueued.Add(int64(rest))
	}
	return true, len(head) + len(p)
}

func (c *loopConn) ping(payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeQueued {
		return ErrClosed
	}
	c.appendFrameLocked(wsframe.Header{Fin: true, Opcode: wsframe.OpPing}, payload)
	c.kickLocked()
	return nil
}

func (c *loopConn) close(code CloseCode, reason string, cause CloseCause) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closeQueued {
		return ErrClosed
	}
	c.queueCloseLocked(code, reason, cause)
	return nil
}

// queueCloseLocked queues this side's close frame after what is queued.
func (c *loopConn) queueCloseLocked(code CloseCode, reason string, cause CloseCause) {
	c.closeQueued, c.closePending = true, true
	c.cause, c.code = cause, code
	if x := c.x(); reason != "" || x != nil {
		c.extraLocked().reason = reason
	}
	var buf [wsframe.MaxControlPayload]byte
	c.appendFrameLocked(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, wsframe.AppendClosePayload(buf[:0], code, reason))
	c.kickLocked()
	c.scheduleLocked()
}

func (c *loopConn) closeNow(cause CloseCause) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return
	}
	if c.cause == 0 || cause == ClosedForShutdown {
		c.cause = cause
	}
	c.closeQueued, c.closeNowReq = true, true
	c.scheduleLocked()
}

func (c *loopConn) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.q.bytes
}

func (c *loopConn) remoteAddr() net.Addr {
	if !c.peer.IsValid() {
		return &net.UnixAddr{Net: "unix"}
	}
	return net.TCPAddrFromAddrPort(c.peer)
}

func (c *loopConn) dropped() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.q.dropped
}
