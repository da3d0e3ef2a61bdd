//go:build unix

package fastws

import (
	"io"
	"net"
	"syscall"

	"github.com/fastws/fastws/internal/bufpool"
)

// sysConn makes a TCP or Unix socket's reads and writes as system calls
// from syscall.RawConn callbacks instead of through net.Conn's Read and
// Write. Go's poller still does the waiting, and deadlines work as on the
// net.Conn. Two things are gained:
//
//   - An idle connection holds no read buffer. The read callback borrows
//     the connection's buffer from the pool only when the socket has data
//     and gives it back when the read says EAGAIN, before the goroutine
//     parks; with thousands of idle connections this is much of their
//     memory.
//   - The call chains are some 300 bytes shallower than net.Conn's. With
//     the read and write paths kept lean above them, a connection's
//     goroutine never outgrows its first 2 KiB stack, which is most of
//     what an idle connection costs (see stack_test.go).
//
// Reads always try the socket first and wait only on EAGAIN. Waiting
// first, after a short read, would hang: RawConn.Read clears the poller's
// readiness before it calls back, so a notification that arrived between
// two calls is lost.
type sysConn struct {
	c       *Conn
	raw     syscall.RawConn // nil when the transport is not a socket
	readFn  func(fd uintptr) bool
	writeFn func(fd uintptr) bool

	// The read in progress, guarded by the Conn's readMu: its
	// destination (nil for the Conn's read buffer) and its outcome.
	rp    []byte
	rn    int
	rerr  error
	again bool // the socket is readable but the Conn has no read buffer

	// The write in progress, guarded by the Conn's wireMu: what is left to
	// send of its two parts, and its outcome.
	w1, w2 []byte
	werr   error
}

// init sets s up for t if t is a socket; otherwise s stays unused.
func (s *sysConn) init(c *Conn, t any) {
	var sc syscall.Conn
	switch t := t.(type) {
	case *net.TCPConn:
		sc = t
	case *net.UnixConn:
		sc = t
	default:
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	s.c, s.raw = c, raw
	// Closures rather than method values: a method value would add a
	// wrapper's frame to the deepest stack of the read path.
	s.readFn = func(fd uintptr) bool {
		p := s.rp
		if p == nil {
			if c.rbuf == nil {
				s.again = true // the caller borrows one, where the stack is shallower
				return true
			}
			p = *c.rbuf
		}
		for {
			n, errno := sysRead(fd, p)
			switch errno {
			case 0:
				s.rn = n
				return true
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				if s.rp == nil {
					c.putIdleBuffer()
				}
				return false
			}
			s.rerr = errno
			return true
		}
	}
	s.writeFn = func(fd uintptr) bool {
		for len(s.w1) > 0 || len(s.w2) > 0 {
			if len(s.w1) == 0 {
				s.w1, s.w2 = s.w2, nil
			}
			n, errno := sysWritev(fd, s.w1, s.w2)
			switch errno {
			case 0:
				if n < len(s.w1) {
					s.w1 = s.w1[n:]
				} else {
					s.w2 = s.w2[n-len(s.w1):]
					s.w1 = nil
				}
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // wait until the socket takes more
			default:
				s.werr = errno
				return true
			}
		}
		return true
	}
}

// read reads into p, or into the Conn's read buffer if p is nil. The
// caller (Conn.fill) borrows that buffer before the read; the callback
// gives it back if the socket has nothing to read, so an idle connection
// waits without one, and when data comes it returns with s.again set: the
// caller borrows the buffer again and calls read once more, which finds
// the data at once.
func (s *sysConn) read(p []byte) (int, error) {
	s.rp, s.rn, s.rerr, s.again = p, 0, nil, false
	err := s.raw.Read(s.readFn)
	s.rp = nil
	switch {
	case err != nil:
		return 0, err // closed, or the deadline passed while waiting
	case s.again:
		return 0, nil
	case s.rerr != nil:
		return 0, s.rerr
	case s.rn == 0:
		return 0, io.EOF
	}
	return s.rn, nil
}

// write sends a and then b, either of which may be empty.
func (s *sysConn) write(a, b []byte) error {
	s.w1, s.w2, s.werr = a, b, nil
	err := s.raw.Write(s.writeFn)
	s.w1, s.w2 = nil, nil // keep nothing of the caller's alive
	if err != nil {
		return err
	}
	return s.werr
}

// putIdleBuffer gives the read buffer back to the pool while the
// connection waits for data, when nothing in it is still needed.
func (c *Conn) putIdleBuffer() {
	if c.rbuf != nil && c.rpos >= c.rend {
		bufpool.Put(c.rbuf)
		c.rbuf = nil
	}
}
