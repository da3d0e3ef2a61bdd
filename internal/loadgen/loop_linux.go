package loadgen

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// scratchSize is the read buffer an event loop shares among its
// connections: echoes are counted and dropped, never kept.
const scratchSize = 256 << 10

// waitMillis bounds each epoll_wait so that a loop sees Stop promptly.
const waitMillis = 50

// conn is one connection's state in its event loop.
type conn struct {
	fd     int
	recv   receiver
	cur    int       // index in loop.msgs of the message in flight
	sent   int       // bytes of its frame written so far
	sentAt time.Time // when the message in flight started (open loop: when it was due)
	echoes int       // messages completed
	polled bool      // EPOLLOUT is armed for an unfinished write
	done   bool      // failed (KeepGoing) or reached the limit: sends no more

	// Open loop only: whether a message is in flight, and the sends that
	// came due meanwhile (the first due at pendingDue, the others one
	// connection period apart).
	inFlight   bool
	pending    int
	pendingDue time.Time
}

// loop drives a share of the connections with its own epoll instance, on
// one goroutine, with plain system calls: no goroutine per connection and
// no Go network poller, so a message costs the load generator one write,
// about one read and a share of an epoll_wait.
type loop struct {
	epfd    int
	conns   []*conn
	events  [256]syscall.EpollEvent
	scratch []byte

	msgs   []message // what the connections send, each cycling through them
	verify bool      // compare every echo, not just each connection's first few
	// verifyFirst is how many echoes of each connection are compared
	// when verify is off.
	verifyFirst int
	limit       int // echoes per connection before it stops; 0: no limit
	// deadline ends the loop with an error if Stop never comes.
	deadline time.Time

	recording *atomic.Bool // count and time echoes
	stop      *atomic.Bool

	active   int    // connections still sending (alive, and under the limit)
	messages uint64 // echoes completed while recording
	hist     Histogram
	wire     Wire // bytes of the echoes completed while recording
	err      error

	// keepGoing closes and counts a failing connection instead of ending
	// the loop (Config.KeepGoing); errors counts them by kind, and
	// mismatches the echoes that differed from what was sent.
	keepGoing  bool
	errors     map[string]uint64
	mismatches uint64

	// inflater is shared by the loop's connections, which it serves one
	// at a time.
	inflater inflater

	// Open loop (Config.Rate): interval is the time between two sends of
	// the loop, which go round its connections in turn; nextDue and
	// nextConn say when and on which the next one is due. timerfd wakes
	// the loop for it with sub-millisecond precision (epoll_wait counts
	// in milliseconds).
	interval time.Duration
	nextDue  time.Time
	nextConn int
	timerfd  int

	// snap is what Progress reads while the loop runs: a copy the loop
	// refreshes every progressEvery.
	snapMu      sync.Mutex
	snap        loopSnapshot
	lastPublish time.Time
}

// loopSnapshot is a loop's counters at one moment.
type loopSnapshot struct {
	open       int
	messages   uint64
	mismatches uint64
	behind     uint64
	hist       Histogram
	errors     map[string]uint64
}

// progressEvery is how often a running loop refreshes its snapshot.
const progressEvery = 200 * time.Millisecond

// timerIndex is the epoll data of a loop's timerfd; connections use their
// index in loop.conns.
const timerIndex = math.MaxInt32

// connError is a failure of one connection, with the kind it is counted
// under when the load keeps going.
type connError struct {
	kind string
	err  error
}

func (e *connError) Error() string { return e.err.Error() }
func (e *connError) Unwrap() error { return e.err }

func failed(kind string, err error) error { return &connError{kind, err} }

func newLoop(msgs []message, recording, stop *atomic.Bool) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &loop{
		epfd: epfd, scratch: make([]byte, scratchSize),
		msgs: msgs, verifyFirst: 1,
		recording: recording, stop: stop, timerfd: -1,
	}, nil
}

// add registers fd, whose epoll data is its index in l.conns; deflate
// says permessage-deflate was negotiated on it. Connections start at
// different messages of l.msgs.
func (l *loop) add(fd int, deflate bool) error {
	i := len(l.conns)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(i)}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return err
	}
	c := &conn{fd: fd, cur: i % len(l.msgs)}
	c.recv.deflate = deflate
	c.recv.countMismatch = l.keepGoing
	c.recv.inflater = &l.inflater
	l.conns = append(l.conns, c)
	return nil
}

// run sends the first message on every connection (closed loop) or
// starts the schedule (open loop), then handles events until Stop or
// until every connection is done (under a limit, or failed).
func (l *loop) run() {
	defer l.publish()
	l.active = len(l.conns)
	if l.interval > 0 {
		if l.err = l.startSchedule(); l.err != nil {
			return
		}
	} else {
		for i, c := range l.conns {
			if l.err = l.handle(i, c, l.send(i, c)); l.err != nil {
				return
			}
		}
	}
	for !l.stop.Load() && l.active > 0 {
		if l.err = l.poll(waitMillis); l.err != nil {
			return
		}
		now := time.Now()
		if now.After(l.deadline) {
			l.err = errors.New("loadgen: still running at the deadline")
			return
		}
		if now.Sub(l.lastPublish) >= progressEvery {
			l.lastPublish = now
			l.publish()
		}
	}
}

// handle decides what an error on connection i means: nothing if nil;
// under keepGoing, the connection closes and its failure is counted;
// otherwise the loop ends with it.
func (l *loop) handle(i int, c *conn, err error) error {
	if err == nil || !l.keepGoing {
		return err
	}
	kind := "protocol"
	var ce *connError
	if errors.As(err, &ce) {
		kind = ce.kind
	}
	if l.errors == nil {
		l.errors = map[string]uint64{}
	}
	l.errors[kind]++
	l.retire(c)
	_ = syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_DEL, c.fd, nil)
	_ = syscall.Close(c.fd)
	c.fd = -1
	return nil
}

// retire takes c out of the load: it sends no more.
func (l *loop) retire(c *conn) {
	if !c.done {
		c.done = true
		l.active--
	}
}

// publish refreshes the snapshot Progress reads.
func (l *loop) publish() {
	l.snapMu.Lock()
	defer l.snapMu.Unlock()
	l.snap.open = 0
	l.snap.behind = 0
	for _, c := range l.conns {
		if c.fd >= 0 {
			l.snap.open++
		}
		l.snap.behind += uint64(c.pending)
	}
	l.snap.messages = l.messages
	l.snap.mismatches = l.mismatches
	l.snap.hist = l.hist
	if len(l.errors) > 0 {
		l.snap.errors = maps.Clone(l.errors)
	}
}

// poll waits up to ms milliseconds for events and handles them.
func (l *loop) poll(ms int) error {
	n, err := syscall.EpollWait(l.epfd, l.events[:], ms)
	if err != nil {
		if errors.Is(err, syscall.EINTR) {
			return nil // the Go runtime's preemption signal
		}
		return fmt.Errorf("loadgen: epoll_wait: %w", err)
	}
	for _, ev := range l.events[:n] {
		i := int(ev.Fd)
		if i == timerIndex {
			if err := l.sendDue(); err != nil {
				return err
			}
			continue
		}
		c := l.conns[i]
		if c.fd < 0 {
			continue // retired earlier in this batch
		}
		if ev.Events&syscall.EPOLLOUT != 0 && c.sent < len(l.msgs[c.cur].frame) {
			if err := l.handle(i, c, l.write(i, c)); err != nil {
				return err
			}
			if c.fd < 0 {
				continue
			}
		}
		if ev.Events&(syscall.EPOLLIN|syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
			if err := l.handle(i, c, l.read(i, c)); err != nil {
				return err
			}
		}
	}
	return nil
}

// read takes what has arrived on c and, when it completes the echo,
// records it and sends the next message. One read per event suffices:
// epoll is level-triggered, and it reports what a read left behind.
func (l *loop) read(i int, c *conn) error {
	n, err := syscall.Read(c.fd, l.scratch)
	switch {
	case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR):
		return nil
	case err != nil:
		return failed("read", fmt.Errorf("loadgen: read: %w", err))
	case n == 0:
		return failed("closed by the server", errors.New("loadgen: server closed the connection"))
	}
	m := &l.msgs[c.cur]
	done, err := c.recv.feed(l.scratch[:n], m.payload, l.verify || c.echoes < l.verifyFirst)
	if errors.Is(err, errClosedByServer) {
		return failed("closed by the server", err)
	}
	if err != nil || !done {
		return err
	}
	if c.sent < len(m.frame) {
		return errors.New("loadgen: echo arrived before the message was sent")
	}
	now := time.Now()
	if l.recording.Load() {
		l.messages++
		l.hist.Record(now.Sub(c.sentAt))
		l.wire.add(len(m.frame), len(m.payload), c.recv.lastWire, c.recv.lastCompressed)
		if c.recv.lastMismatch {
			l.mismatches++
		}
	}
	c.echoes++
	if l.limit > 0 && c.echoes >= l.limit {
		l.retire(c)
		c.pending = 0
		return nil
	}
	if c.cur++; c.cur == len(l.msgs) {
		c.cur = 0
	}
	if l.interval > 0 {
		return l.sendPending(i, c)
	}
	c.sentAt = now
	c.sent = 0
	return l.write(i, c)
}

// send starts a message on c.
func (l *loop) send(i int, c *conn) error {
	c.sentAt = time.Now()
	c.sent = 0
	return l.write(i, c)
}

// write sends what is left of the frame; when the socket buffer is full
// it arms EPOLLOUT to go on later, and disarms it once the frame is out.
func (l *loop) write(i int, c *conn) error {
	frame := l.msgs[c.cur].frame
	for c.sent < len(frame) {
		n, err := syscall.Write(c.fd, frame[c.sent:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if errors.Is(err, syscall.EAGAIN) {
			return l.pollOut(i, c, true)
		}
		if err != nil {
			return failed("write", fmt.Errorf("loadgen: write: %w", err))
		}
		c.sent += n
	}
	return l.pollOut(i, c, false)
}

func (l *loop) pollOut(i int, c *conn, on bool) error {
	if c.polled == on {
		return nil
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(i)}
	if on {
		ev.Events |= syscall.EPOLLOUT
	}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_MOD, c.fd, &ev); err != nil {
		return err
	}
	c.polled = on
	return nil
}

// close closes every connection abruptly (SO_LINGER 0, so a reset): the
// benchmark opens tens of thousands of connections, and orderly closes
// would leave them in TIME_WAIT, holding ephemeral ports.
func (l *loop) close() {
	for _, c := range l.conns {
		if c.fd < 0 {
			continue
		}
		_ = syscall.SetsockoptLinger(c.fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
		_ = syscall.Close(c.fd)
	}
	l.conns = nil
	if l.timerfd >= 0 {
		_ = syscall.Close(l.timerfd)
	}
	_ = syscall.Close(l.epfd)
}

func closeFD(fd int) { _ = syscall.Close(fd) }
