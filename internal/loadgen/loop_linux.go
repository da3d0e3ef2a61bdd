package loadgen

import (
	"errors"
	"fmt"
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
	sentAt time.Time // when the message in flight started
	echoes int       // messages completed
	polled bool      // EPOLLOUT is armed for an unfinished write
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

	active   int    // connections still sending (under a limit)
	messages uint64 // echoes completed while recording
	hist     Histogram
	wire     Wire // bytes of the echoes completed while recording
	err      error
}

func newLoop(msgs []message, recording, stop *atomic.Bool) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &loop{
		epfd: epfd, scratch: make([]byte, scratchSize),
		msgs: msgs, verifyFirst: 1,
		recording: recording, stop: stop,
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
	l.conns = append(l.conns, c)
	return nil
}

// run sends the first message on every connection, then handles events
// until Stop or, under a limit, until every connection is done.
func (l *loop) run() {
	l.active = len(l.conns)
	for i, c := range l.conns {
		if l.err = l.send(i, c); l.err != nil {
			return
		}
	}
	for !l.stop.Load() && (l.limit == 0 || l.active > 0) {
		if l.err = l.poll(waitMillis); l.err != nil {
			return
		}
		if time.Now().After(l.deadline) {
			l.err = errors.New("loadgen: still running at the deadline")
			return
		}
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
		c := l.conns[i]
		if ev.Events&syscall.EPOLLOUT != 0 && c.sent < len(l.msgs[c.cur].frame) {
			if err := l.write(i, c); err != nil {
				return err
			}
		}
		if ev.Events&(syscall.EPOLLIN|syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
			if err := l.read(i, c); err != nil {
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
		return fmt.Errorf("loadgen: read: %w", err)
	case n == 0:
		return errors.New("loadgen: server closed the connection")
	}
	m := &l.msgs[c.cur]
	done, err := c.recv.feed(l.scratch[:n], m.payload, l.verify || c.echoes < l.verifyFirst)
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
	}
	c.echoes++
	if l.limit > 0 && c.echoes >= l.limit {
		l.active--
		return nil
	}
	if c.cur++; c.cur == len(l.msgs) {
		c.cur = 0
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
			return fmt.Errorf("loadgen: write: %w", err)
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
		_ = syscall.SetsockoptLinger(c.fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
		_ = syscall.Close(c.fd)
	}
	l.conns = nil
	_ = syscall.Close(l.epfd)
}

func closeFD(fd int) { _ = syscall.Close(fd) }

// Wire counts the bytes of echoed messages, in both directions.
type Wire struct {
	Messages   uint64 // echoes counted
	Sent       uint64 // bytes of the frames sent, headers included
	Received   uint64 // bytes of the echoes' frames, headers included
	Payload    uint64 // payload bytes of the messages, uncompressed
	Compressed uint64 // echoes that came back compressed (RSV1)
}

func (w *Wire) add(sent, payload int, received int64, compressed bool) {
	w.Messages++
	w.Sent += uint64(sent)
	w.Payload += uint64(payload)
	w.Received += uint64(received)
	if compressed {
		w.Compressed++
	}
}

func (w *Wire) merge(o Wire) {
	w.Messages += o.Messages
	w.Sent += o.Sent
	w.Received += o.Received
	w.Payload += o.Payload
	w.Compressed += o.Compressed
}
