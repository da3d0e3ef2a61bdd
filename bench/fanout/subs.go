package fanout

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fastws/fastws/internal/loadgen"
	"github.com/fastws/fastws/wsframe"
)

// ringSize is how many messages' delivery counts the subscribers keep, by
// sequence number modulo ringSize: far more than the publisher ever has
// outstanding (maxOutstanding), so a slot is never reused while its
// message may still arrive.
const (
	ringSize = 1 << 16
	ringMask = ringSize - 1
)

// maxOutstanding bounds the messages the publisher has sent and not yet
// seen delivered to every subscriber, in either mode (the window, or the
// fixed rate's maxBacklog).
const maxOutstanding = ringSize / 4

// maxNodes bounds the server processes one set of subscribers spans.
const maxNodes = 2

// waitMillis bounds each epoll_wait, so that a loop sees a stop promptly.
const waitMillis = 50

// scratchSize is the read buffer a loop shares among its connections:
// messages are checked as they arrive, never kept.
const scratchSize = 256 << 10

// dialers is how many connections are being opened at once.
const dialers = 32

// maxErrors is how many error messages a run keeps to print; the rest are
// counted.
const maxErrors = 8

// sizeFrom says that the messages from sequence number from on are size
// bytes long: cells of different sizes run one after another on the same
// connections.
type sizeFrom struct {
	from int64
	size int
}

// subscribers is the set of subscriber connections of a run, spread over
// a few epoll loops (each a goroutine making plain system calls, no
// goroutine per connection and no Go network poller), so that receiving
// costs this process a read per batch of messages and little else.
//
// Every message carries its sequence number. Each connection checks that
// they arrive in order and complete; a gap is a loss. acct counts, per
// message, the subscribers that have seen it or a later one (in-order
// delivery means a later one settles it, received or lost): the
// publisher's window and the drain after each cell wait on it.
type subscribers struct {
	loops []*subLoop
	nodes int
	// deflate says the run is compressed: the subscribers offer
	// permessage-deflate and the messages are JSON documents.
	deflate bool
	live    atomic.Int64 // connections not failed
	acct    []atomic.Int32
	// notify is signalled when a message may have become complete.
	notify chan struct{}
	// oldest is the first message not known to be complete: advanced by
	// whoever waits on the deliveries (the publisher, then the drain),
	// never by two goroutines at once.
	oldest int64

	recording atomic.Bool
	// [rangeStart, rangeEnd) are the messages published during the
	// measured window: every subscriber must receive each.
	rangeStart, rangeEnd atomic.Int64
	sizes                atomic.Pointer[[]sizeFrom]

	stop atomic.Bool
	done chan struct{}
}

// subConn is one subscriber connection's state in its loop.
type subConn struct {
	fd   int
	node int
	dead bool

	// The frame in progress.
	hdr       [wsframe.MaxHeaderSize]byte
	hdrLen    int // bytes of a split header held in hdr
	inFrame   bool
	control   bool
	remaining int // payload bytes of the frame still to come
	length    int // payload length of the data frame (inflated, once known)
	wire      int // payload length of the data frame on the wire
	pos       int // payload bytes of it seen
	stamp     [StampSize]byte
	// dfl is the connection's permessage-deflate state in a compressed
	// run (nil otherwise), zipped whether the data frame in progress is
	// compressed.
	dfl    *deflateState
	zipped bool

	last int64 // the last sequence number received (the base's predecessor before any)
	got  int64 // messages of [rangeStart, rangeEnd) received
}

// nodeStats is what a loop counted for one server process's subscribers
// while recording.
type nodeStats struct {
	deliveries uint64
	wire       uint64 // payload bytes of those messages as they came
	hist       loadgen.Histogram
}

// subLoop drives a share of the connections.
type subLoop struct {
	s       *subscribers
	epfd    int
	conns   []*subConn
	events  [256]syscall.EpollEvent
	scratch []byte
	inf     inflater // compressed runs
	err     error    // the loop itself failed

	// mu is held by the loop while it handles a batch of events, and by
	// the controller when it reads or resets the counts.
	mu       sync.Mutex
	nodes    [maxNodes]nodeStats
	failed   int // connections failed
	errCount int
	errs     []string
	gapCount int      // gaps in the sequence: messages that never came
	gaps     []string // the first few
}

// view is what a loop reads once per batch of events.
type view struct {
	rec        bool
	start, end int64
	sizes      []sizeFrom
	live       int32
}

// sizeAt returns the size of message seq.
func (v *view) sizeAt(seq int64) int {
	for i := len(v.sizes) - 1; i >= 0; i-- {
		if seq >= v.sizes[i].from {
			return v.sizes[i].size
		}
	}
	return -1
}

// connectSubscribers opens n subscriber connections, connection i to
// addrs[i % len(addrs)], dialers at a time, and spreads them over loops
// event loops; base is the sequence number of the first message they
// will receive. deflate has them offer permessage-deflate (and expect
// JSON documents). It fails if any connection fails.
func connectSubscribers(addrs []string, n, loops int, base int64, deflate bool) (*subscribers, error) {
	if len(addrs) == 0 || len(addrs) > maxNodes {
		return nil, fmt.Errorf("fanout: %d server addresses; 1 to %d", len(addrs), maxNodes)
	}
	s := &subscribers{
		nodes: len(addrs), deflate: deflate, acct: make([]atomic.Int32, ringSize),
		notify: make(chan struct{}, 1), done: make(chan struct{}), oldest: base,
	}
	s.rangeStart.Store(1<<63 - 1)
	s.rangeEnd.Store(1<<63 - 1)
	s.sizes.Store(&[]sizeFrom{})
	for range max(loops, 1) {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			s.close()
			return nil, err
		}
		s.loops = append(s.loops, &subLoop{s: s, epfd: epfd, scratch: make([]byte, scratchSize)})
	}
	var (
		mu       sync.Mutex
		next     int
		failed   int
		firstErr error
		wg       sync.WaitGroup
	)
	for range min(dialers, n) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				stop := i >= n || failed > 0
				mu.Unlock()
				if stop {
					return
				}
				node := i % len(addrs)
				fd, dfl, err := dialSubscriber(addrs[node], deflate)
				mu.Lock()
				if err == nil {
					err = s.loops[i%len(s.loops)].add(fd, node, base, dfl)
					if err != nil {
						abort(fd)
					}
				}
				if err != nil {
					failed++
					if firstErr == nil {
						firstErr = fmt.Errorf("subscriber %d of %d: %w", i+1, n, err)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		s.close()
		return nil, firstErr
	}
	s.live.Store(int64(n))
	return s, nil
}

// dialSubscriber opens a subscriber connection, offering
// permessage-deflate when deflate is set; it returns its descriptor and,
// when compressed, its deflate state.
func dialSubscriber(addr string, deflate bool) (int, *deflateState, error) {
	offer := ""
	if deflate {
		offer = loadgen.DeflateOffer
	}
	nc, ext, err := dial(addr, subscribePath, 0, offer)
	if err != nil {
		return -1, nil, err
	}
	var dfl *deflateState
	if deflate {
		takeover, err := parseDeflateResponse(ext)
		if err != nil {
			nc.Close()
			return -1, nil, err
		}
		dfl = &deflateState{takeover: takeover}
	}
	fd, err := detach(nc)
	return fd, dfl, err
}

// add registers fd, whose epoll data is its index in l.conns, whose
// first message will be base, and whose deflate state (compressed runs)
// is dfl.
func (l *subLoop) add(fd, node int, base int64, dfl *deflateState) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(len(l.conns))}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return err
	}
	l.conns = append(l.conns, &subConn{fd: fd, node: node, last: base - 1, dfl: dfl})
	return nil
}

// start sets the loops going.
func (s *subscribers) start() {
	var wg sync.WaitGroup
	for _, l := range s.loops {
		wg.Go(l.run)
	}
	go func() {
		wg.Wait()
		close(s.done)
	}()
}

// close stops the loops and resets every connection.
func (s *subscribers) close() {
	s.stop.Store(true)
	if s.done != nil {
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
		}
	}
	for _, l := range s.loops {
		l.mu.Lock()
		for _, c := range l.conns {
			if !c.dead {
				abort(c.fd)
				c.dead = true
			}
		}
		_ = syscall.Close(l.epfd)
		l.mu.Unlock()
	}
}

func (l *subLoop) run() {
	for !l.s.stop.Load() {
		n, err := syscall.EpollWait(l.epfd, l.events[:], waitMillis)
		if err != nil {
			if errors.Is(err, syscall.EINTR) {
				continue // the Go runtime's preemption signal
			}
			l.mu.Lock()
			l.err = fmt.Errorf("epoll_wait: %w", err)
			l.mu.Unlock()
			return
		}
		if n == 0 {
			continue
		}
		l.mu.Lock()
		l.batch(n)
		l.mu.Unlock()
	}
}

// batch handles n events, one read each: epoll is level-triggered, and
// reports again what a read left behind.
func (l *subLoop) batch(n int) {
	s := l.s
	v := view{rec: s.recording.Load(), sizes: *s.sizes.Load(), live: int32(s.live.Load())}
	for _, ev := range l.events[:n] {
		c := l.conns[ev.Fd]
		if c.dead {
			continue
		}
		r, err := syscall.Read(c.fd, l.scratch)
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
			continue
		case err != nil:
			l.fail(c, fmt.Errorf("read: %w", err))
			continue
		case r == 0:
			l.fail(c, errors.New("the server closed the connection"))
			continue
		}
		// The window's bounds are read after the read: the publisher
		// stores a bound before it writes the message that opens or
		// closes the window, so a read that returns that message sees
		// the bound (read before the read, it could be stale).
		v.start, v.end = s.rangeStart.Load(), s.rangeEnd.Load()
		// One clock reading per read: the messages it returns arrived
		// together.
		if err := l.feed(c, l.scratch[:r], now(), &v); err != nil {
			l.fail(c, err)
		}
	}
}

// errServerClose is a close frame from the server.
var errServerClose = errors.New("the server sent a close frame")

// feed consumes b, which follows what was fed before on c.
func (l *subLoop) feed(c *subConn, b []byte, t int64, v *view) error {
	for len(b) > 0 {
		if !c.inFrame {
			src := b
			if c.hdrLen > 0 {
				k := copy(c.hdr[c.hdrLen:], b)
				src = c.hdr[:c.hdrLen+k]
			}
			h, n, err := wsframe.ParseHeader(src)
			if err != nil {
				return err
			}
			if n == 0 { // a split header: keep what there is
				if c.hdrLen > 0 {
					c.hdrLen = len(src)
				} else {
					c.hdrLen = copy(c.hdr[:], b)
				}
				return nil
			}
			b = b[n-c.hdrLen:]
			c.hdrLen = 0
			if h.Masked || h.Rsv != 0 && (c.dfl == nil || h.Rsv != wsframe.Rsv1 || h.Opcode.IsControl()) {
				return fmt.Errorf("bad server frame header %+v", h)
			}
			switch {
			case h.Opcode == wsframe.OpClose:
				return errServerClose
			case h.Opcode.IsControl():
				c.control = true // a ping or pong: skipped
			case c.dfl != nil:
				if err := c.beginDeflateFrame(h); err != nil {
					return err
				}
			case h.Opcode != wsframe.OpBinary || !h.Fin:
				return fmt.Errorf("a %v frame (fin %v); the publisher sends single-frame binary messages", h.Opcode, h.Fin)
			case h.Length < StampSize || h.Length > MaxSize:
				return fmt.Errorf("a message of %d bytes; the publisher sends %d to %d", h.Length, MinSize, MaxSize)
			default:
				c.control = false
				c.length, c.wire, c.pos = int(h.Length), int(h.Length), 0
			}
			c.remaining = int(h.Length)
			c.inFrame = c.remaining > 0
			if !c.inFrame && !c.control {
				// An empty data frame (a compressed run's
				// last fragment can be): it ends here.
				if err := l.frameDone(c, t, v); err != nil {
					return err
				}
			}
			continue
		}
		k := min(c.remaining, len(b))
		if !c.control && c.dfl != nil {
			c.dfl.z = append(c.dfl.z, b[:k]...)
			c.pos += k
		} else if !c.control {
			chunk, off := b[:k], c.pos
			if off < StampSize {
				m := copy(c.stamp[off:], chunk)
				chunk, off = chunk[m:], off+m
			}
			if len(chunk) > 0 && !bytes.Equal(chunk, filler[off:off+len(chunk)]) {
				return fmt.Errorf("the payload differs from what was published, between bytes %d and %d", off, off+len(chunk))
			}
			c.pos += k
		}
		c.remaining -= k
		b = b[k:]
		if c.remaining == 0 {
			c.inFrame = false
			if !c.control {
				if err := l.frameDone(c, t, v); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// deliver checks and counts a complete message.
func (l *subLoop) deliver(c *subConn, t int64, v *view) error {
	seq := int64(binary.LittleEndian.Uint64(c.stamp[0:8]))
	sent := int64(binary.LittleEndian.Uint64(c.stamp[8:16]))
	if want := v.sizeAt(seq); c.length != want {
		return fmt.Errorf("message %d has %d bytes; it was published with %d", seq, c.length, want)
	}
	if seq <= c.last {
		return fmt.Errorf("message %d after message %d: duplicated or out of order", seq, c.last)
	}
	s := l.s
	if gap := seq - c.last - 1; gap > 0 {
		l.gapCount++
		if len(l.gaps) < maxErrors {
			l.gaps = append(l.gaps, fmt.Sprintf("node %d subscriber fd %d: message %d after %d (%d missing)", c.node+1, c.fd, seq, c.last, gap))
		}
	}
	// This message settles every one since the last: received, or lost.
	for k := max(c.last+1, seq-ringSize+1); k <= seq; k++ {
		if s.acct[k&ringMask].Add(1) >= v.live {
			s.wake()
		}
	}
	c.last = seq
	if seq >= v.start && seq < v.end {
		c.got++
	}
	if v.rec {
		ns := &l.nodes[c.node]
		ns.deliveries++
		ns.wire += uint64(c.wire)
		ns.hist.Record(time.Duration(t - sent))
	}
	return nil
}

// beginDeflateFrame starts a data frame of a compressed run: a message's
// first (binary, RSV1 when compressed) or a continuation of it, whichever
// c expects. A server may fragment a message, as gorilla does one larger
// than its write buffer; the payload is gathered and checked whole.
func (c *subConn) beginDeflateFrame(h wsframe.Header) error {
	d := c.dfl
	switch {
	case h.Opcode == wsframe.OpBinary && !d.open:
		c.zipped = h.Rsv != 0
		c.wire = 0
		d.z = d.z[:0]
	case h.Opcode == wsframe.OpContinuation && d.open && h.Rsv == 0:
	default:
		want := "binary message"
		if d.open {
			want = "continuation"
		}
		return fmt.Errorf("a %v frame (rsv %#x) where a compressed run expects a %s", h.Opcode, h.Rsv, want)
	}
	if len(d.z)+int(h.Length) > maxCompressed {
		return fmt.Errorf("a message of over %d bytes on the wire; the publisher sends %d to %d before compression", maxCompressed, MinSize, MaxSize)
	}
	d.open = !h.Fin
	c.control = false
	c.wire += int(h.Length)
	return nil
}

// maxCompressed bounds a compressed message on the wire: deflate may
// expand what does not compress, by a few bytes per 16 KiB block.
const maxCompressed = MaxSize + 1<<10

// frameDone ends a data frame: the message is delivered once its last
// fragment is in (inflated first, in a compressed run).
func (l *subLoop) frameDone(c *subConn, t int64, v *view) error {
	if c.dfl != nil {
		if c.dfl.open {
			return nil
		}
		if err := l.unzip(c, v); err != nil {
			return err
		}
	}
	return l.deliver(c, t, v)
}

// unzip inflates the data frame c has gathered, when it came compressed,
// checks the message against the document its sequence number stands for
// and leaves its stamp and length for deliver.
func (l *subLoop) unzip(c *subConn, v *view) error {
	msg := c.dfl.z
	if c.zipped {
		c.dfl.z = append(c.dfl.z, loadgen.InflateEnd...)
		var err error
		if msg, err = l.inf.inflate(c.dfl.z, c.dfl.hist, MaxSize); err != nil {
			return err
		}
		c.dfl.remember(msg)
	}
	if len(msg) < StampSize {
		return fmt.Errorf("a message of %d bytes; the publisher sends %d to %d", len(msg), MinSize, MaxSize)
	}
	copy(c.stamp[:], msg)
	c.length = len(msg)
	seq := int64(binary.LittleEndian.Uint64(c.stamp[0:8]))
	if size := v.sizeAt(seq); size == len(msg) && !bytes.Equal(msg[StampSize:], jsonBody(size, seq)[StampSize:]) {
		return fmt.Errorf("message %d differs from what was published", seq)
	}
	return nil
}

// fail takes c out of the set, resets it and keeps the error.
func (l *subLoop) fail(c *subConn, err error) {
	c.dead = true
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	abort(c.fd)
	l.failed++
	l.s.live.Add(-1)
	l.s.wake()
	l.errCount++
	if len(l.errs) < maxErrors {
		l.errs = append(l.errs, fmt.Sprintf("node %d subscriber: %v", c.node+1, err))
	}
}

// wake tells the waiter that a message may have become complete.
func (s *subscribers) wake() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// setSize makes the messages from seq on size bytes long. The publisher
// is not running.
func (s *subscribers) setSize(seq int64, size int) {
	old := *s.sizes.Load()
	sizes := append(old[:len(old):len(old)], sizeFrom{from: seq, size: size})
	s.sizes.Store(&sizes)
}

// prepare clears message seq's count before it is published.
func (s *subscribers) prepare(seq int64) { s.acct[seq&ringMask].Store(0) }

// advance moves oldest past the messages every live subscriber has
// settled, up to next (the first not yet published), and returns it.
func (s *subscribers) advance(next int64) int64 {
	live := int32(s.live.Load())
	for s.oldest < next && s.acct[s.oldest&ringMask].Load() >= live {
		s.oldest++
	}
	return s.oldest
}

// counts is what the subscribers counted over a window, and the state of
// the set after it.
type counts struct {
	nodes    [maxNodes]nodeStats
	live     int
	failed   int
	errCount int
	errs     []string
	gapCount int
	gaps     []string
	loopErr  error
}

// take returns what the loops counted since the last take, and clears it.
func (s *subscribers) take() *counts {
	c := &counts{live: int(s.live.Load())}
	for _, l := range s.loops {
		l.mu.Lock()
		for i := range l.nodes {
			c.nodes[i].deliveries += l.nodes[i].deliveries
			c.nodes[i].wire += l.nodes[i].wire
			c.nodes[i].hist.Merge(&l.nodes[i].hist)
			l.nodes[i] = nodeStats{}
		}
		c.failed += l.failed
		c.errCount += l.errCount
		c.errs = append(c.errs, l.errs...)
		c.gapCount += l.gapCount
		c.gaps = append(c.gaps, l.gaps...)
		l.failed, l.errCount, l.errs, l.gapCount, l.gaps = 0, 0, nil, 0, nil
		if l.err != nil && c.loopErr == nil {
			c.loopErr = l.err
		}
		l.mu.Unlock()
	}
	return c
}

// resetRange clears every connection's count of window messages.
func (s *subscribers) resetRange() {
	s.rangeStart.Store(1<<63 - 1)
	s.rangeEnd.Store(1<<63 - 1)
	for _, l := range s.loops {
		l.mu.Lock()
		for _, c := range l.conns {
			c.got = 0
		}
		l.mu.Unlock()
	}
}

// losses is how the window's messages reached the subscribers: every
// subscriber should have received each of the expected ones.
type losses struct {
	Lost          int64 // deliveries missing, all subscribers together
	Lossy         int   // subscribers that missed at least one
	MaxLost       int64 // the most one subscriber missed
	Failed        int   // subscribers whose connection failed (their misses count)
	Extra         int64 // deliveries beyond the messages published: a bench fault, reported as one
	PerNode       [maxNodes]int64
	Expected      int64 // messages each subscriber should have received
	DrainTimedOut bool  // the drain timed out: some may still have been in flight
}

// losses counts, for each connection, the window's messages it did not
// receive.
func (s *subscribers) losses(expected int64) losses {
	var ls losses
	ls.Expected = expected
	for _, l := range s.loops {
		l.mu.Lock()
		for _, c := range l.conns {
			if c.dead {
				ls.Failed++
			}
			if c.got > expected {
				ls.Extra += c.got - expected
			}
			if miss := expected - c.got; miss > 0 {
				ls.Lost += miss
				ls.PerNode[c.node] += miss
				ls.Lossy++
				ls.MaxLost = max(ls.MaxLost, miss)
			}
		}
		l.mu.Unlock()
	}
	return ls
}
