package servers

import (
	"bytes"
	"errors"
	"net"
	"runtime"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// EpollFloor is the reference server of the event-loop class: not a
// library, but the least an event-loop echo server in Go can do per
// message on this machine, as a yardstick for fastws's loops and nbio.
//
// EventLoops goroutines, each locked to its thread, each wait on an epoll
// instance of their own, level-triggered, as C event loops do. The first
// also accepts, from a duplicate of the listener's descriptor, and deals
// the connections out round-robin. Each loop reads into one 64 KiB buffer
// shared by its connections; a connection gets a buffer of its own only
// when a frame is split across reads. After a minimal opening handshake
// (the request head is searched for Sec-WebSocket-Key and nothing else),
// each readable event is one read(2), and the frames it completes are
// answered with one write(2), unmasked in place exactly as the floor
// reference does (floorAnswer). It checks nothing a real server must
// (limits, UTF-8, fragmentation, control frames, closing, timeouts); it
// keeps no Go network poller, no goroutine per connection, no queues and
// no timers. It would be wrong to use it for anything but this benchmark.
const EpollFloor = "epoll-floor"

// epollFloorBuffer is the read buffer each loop shares among its
// connections, the size of fastws's loops' own.
const epollFloorBuffer = 64 << 10

// epollFloorMaxConns bounds the descriptor table when RLIMIT_NOFILE is
// unlimited.
const epollFloorMaxConns = 1 << 20

// serveEpollFloor serves the event-loop reference echo on ln. Closing ln
// does not stop it: the duplicate descriptor keeps the socket listening
// until the process ends, which is all a benchmark server needs.
//
// With deflate it agrees to permessage-deflate, without context takeover
// either way, with a client that offers it (epollFloorDeflate), and
// echoes compressed frames as they came: the codec-free floor of the
// compressed echo.
func serveEpollFloor(ln net.Listener, deflate bool) error {
	lfd, err := DupListenerFD(ln)
	if err != nil {
		return err
	}
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	// Every loop finds a connection by its descriptor in one table; the
	// accepting loop stores a connection there before handing it to its
	// loop's epoll instance, which is what orders the two.
	conns := make([]atomic.Pointer[efConn], min(lim.Cur, epollFloorMaxConns))
	loops := make([]*efLoop, EventLoops())
	for i := range loops {
		epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return err
		}
		loops[i] = &efLoop{epfd: epfd, lfd: -1, loops: loops, conns: conns, buf: make([]byte, epollFloorBuffer), deflate: deflate}
	}
	loops[0].lfd = lfd
	if err := loops[0].ctl(unix.EPOLL_CTL_ADD, lfd, unix.EPOLLIN); err != nil {
		return err
	}
	errc := make(chan error, len(loops))
	for _, l := range loops {
		go func() { errc <- l.run() }()
	}
	return <-errc
}

// efLoop is one event loop.
type efLoop struct {
	epfd   int
	lfd    int       // the listener, in the first loop only; -1 elsewhere
	loops  []*efLoop // all of them, to deal accepted connections to
	next   int       // the loop the next accepted connection goes to
	conns  []atomic.Pointer[efConn]
	buf    []byte // the read buffer the loop's connections share
	gather []byte // replies to several frames of one read, gathered
	head   []byte // a handshake response
	// deflate agrees to permessage-deflate (epollFloorDeflate).
	deflate bool
}

// efConn is one connection, touched only by its loop once handed to it.
type efConn struct {
	fd       int
	loop     *efLoop
	in       []byte // a partial frame or request head, when one waits; else empty
	out      []byte // reply bytes the socket did not take
	upgraded bool   // the handshake is done
	closing  bool   // a close frame was echoed: end once out is written
}

// epollFloorAcceptBatch bounds the connections one readable event of the
// listener accepts; level-triggered polling reports the rest.
const epollFloorAcceptBatch = 64

func (l *efLoop) ctl(op, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	return unix.EpollCtl(l.epfd, op, fd, &ev)
}

func (l *efLoop) run() error {
	// Each loop is a thread of its own, so that a loop's wake-up never
	// waits for the scheduler to find it one.
	runtime.LockOSThread()
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(l.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			fd := int(ev.Fd)
			if fd == l.lfd {
				l.accept()
				continue
			}
			c := l.conns[fd].Load()
			if c == nil || c.loop != l {
				continue
			}
			// While replies wait, the connection is watched for
			// writing only, so that it is not read any further.
			if len(c.out) > 0 {
				l.flush(c)
			} else {
				l.readable(c)
			}
		}
	}
}

// accept takes pending connections and deals them out to the loops.
func (l *efLoop) accept() {
	for range epollFloorAcceptBatch {
		fd, _, err := unix.Accept4(l.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch err {
		case nil:
		case unix.EINTR, unix.ECONNABORTED:
			continue
		default:
			return // EAGAIN, or a failure the next readable event retries
		}
		if fd >= len(l.conns) {
			unix.Close(fd)
			continue
		}
		// As Go's net package and fastws do: replies leave at once.
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		owner := l.loops[l.next%len(l.loops)]
		l.next++
		c := &efConn{fd: fd, loop: owner}
		l.conns[fd].Store(c)
		if err := owner.ctl(unix.EPOLL_CTL_ADD, fd, unix.EPOLLIN); err != nil {
			l.conns[fd].Store(nil)
			unix.Close(fd)
		}
	}
}

// readable reads once and answers what the read completed.
func (l *efLoop) readable(c *efConn) {
	// A connection reads behind the partial frame it holds, or into its
	// own buffer once that is larger than the loop's (its frames did not
	// fit there); otherwise into the shared buffer.
	own := len(c.in) > 0 || cap(c.in) > len(l.buf)
	dst := l.buf
	if own {
		dst = c.in[len(c.in):cap(c.in)]
	}
	n, err := unix.Read(c.fd, dst)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return
	case err != nil || n == 0:
		l.close(c)
		return
	}
	b := dst[:n]
	if own {
		c.in = c.in[:len(c.in)+n]
		b = c.in
	}
	if !l.consume(c, b) {
		l.close(c)
	}
}

// consume answers the handshake or the whole frames at the start of b
// and keeps what is left of b in c.in. It reports false if the
// connection must end.
func (l *efLoop) consume(c *efConn, b []byte) bool {
	if !c.upgraded {
		end := bytes.Index(b, []byte("\r\n\r\n"))
		if end < 0 {
			if len(b) >= epollFloorMaxHead {
				return false
			}
			l.keep(c, b, epollFloorMaxHead)
			return true
		}
		resp, ok := l.handshakeResponse(b[:end])
		if !ok || !l.send(c, resp) {
			return false
		}
		c.upgraded = true
		b = b[end+4:]
	}
	var reply []byte
	l.gather = l.gather[:0]
	for frames := 0; ; frames++ {
		r, size, closing, ok := floorAnswer(b)
		if !ok {
			break
		}
		if frames == 1 {
			l.gather = append(l.gather, reply...) // a second frame: gather
		}
		if frames == 0 {
			reply = r
		} else {
			l.gather = append(l.gather, r...)
		}
		c.closing = c.closing || closing
		b = b[size:]
	}
	if len(l.gather) > 0 {
		reply = l.gather
	}
	if len(reply) > 0 && !l.send(c, reply) {
		return false
	}
	if c.closing && len(c.out) == 0 {
		return false
	}
	need, _, _, _ := FloorFrame(b)
	// Twice the frame, as the floor does, so that a read of the next one
	// finds room behind it.
	l.keep(c, b, 2*need)
	return true
}

// keep leaves rest, which may lie in c.in or in the loop's buffer, at
// the start of c.in, with at least capacity bytes of room when there is
// anything to keep.
func (l *efLoop) keep(c *efConn, rest []byte, capacity int) {
	switch {
	case len(rest) == 0:
		c.in = c.in[:0]
	case cap(c.in) < capacity:
		c.in = append(make([]byte, 0, capacity), rest...)
	default:
		c.in = c.in[:copy(c.in[:cap(c.in)], rest)] // copy moves overlapping bytes correctly
	}
}

// send writes p with one write; what the socket does not take waits in
// c.out, and the connection is watched for writing instead of reading.
func (l *efLoop) send(c *efConn, p []byte) bool {
	if len(c.out) > 0 {
		c.out = append(c.out, p...)
		return true
	}
	n, err := writeFD(c.fd, p)
	if err != nil {
		return false
	}
	if n < len(p) {
		c.out = append(c.out, p[n:]...)
		return l.ctl(unix.EPOLL_CTL_MOD, c.fd, unix.EPOLLOUT) == nil
	}
	return true
}

// flush writes what waits in c.out and, once it is all out, watches the
// connection for reading again.
func (l *efLoop) flush(c *efConn) {
	n, err := writeFD(c.fd, c.out)
	if err != nil {
		l.close(c)
		return
	}
	if c.out = c.out[n:]; len(c.out) > 0 {
		return
	}
	c.out = nil
	if c.closing || l.ctl(unix.EPOLL_CTL_MOD, c.fd, unix.EPOLLIN) != nil {
		l.close(c)
	}
}

// writeFD writes p once, counting a full socket buffer as 0 bytes
// written.
func writeFD(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Write(fd, p)
		switch err {
		case nil:
			return n, nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, nil
		}
		return 0, err
	}
}

// close forgets c before closing its descriptor, whose number the
// accepting loop may reuse as soon as it is closed.
func (l *efLoop) close(c *efConn) {
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	l.conns[c.fd].Store(nil)
	unix.Close(c.fd)
}

// DupListenerFD returns a non-blocking duplicate of ln's descriptor. Go's
// listener cannot be waited on from outside its poller (its raw
// connection's Read fails), only borrowed through Control. The fan-out
// floor uses it too.
func DupListenerFD(ln net.Listener) (int, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return -1, errors.New("servers: a floor server needs a listener with a descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) {
		fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
