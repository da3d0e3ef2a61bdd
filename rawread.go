package fastws

import (
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/fastws/fastws/internal/bufpool"
)

// rawReader reads a TCP or Unix socket through its syscall.RawConn, so
// that an idle connection, waiting for its next message, holds no read
// buffer: when the read system call says EAGAIN, the buffer goes back to
// the pool before the poller parks the goroutine, and is borrowed again
// when data is there. With thousands of idle connections this is most of
// their memory.
//
// It always tries the read first and waits only on EAGAIN. Waiting first
// after a short read was tried and hangs: RawConn.Read clears the poller's
// readiness before calling back, so a notification that arrived between
// two reads is lost.
type rawReader struct {
	c   *Conn
	raw syscall.RawConn
	fn  func(fd uintptr) bool // r.read as a func value, made once
	n   int
	err error
}

func newRawReader(c *Conn, t any) *rawReader {
	var sc syscall.Conn
	switch t := t.(type) {
	case *net.TCPConn:
		sc = t
	case *net.UnixConn:
		sc = t
	default:
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawReader{c: c, raw: raw}
	r.fn = r.read
	return r
}

// fill reads into the connection's read buffer, borrowing it if needed.
func (r *rawReader) fill() (int, error) {
	r.n, r.err = 0, nil
	if err := r.raw.Read(r.fn); err != nil {
		return 0, err // closed, or the deadline passed while waiting
	}
	if r.n == 0 && r.err == nil {
		return 0, io.EOF
	}
	return r.n, r.err
}

// read is called by the poller: it returns false to wait for readiness.
func (r *rawReader) read(fd uintptr) bool {
	c := r.c
	if c.rbuf == nil {
		c.rbuf = bufpool.Get(c.opts.readBufferSize())
	}
	for {
		n, err := syscall.Read(int(fd), *c.rbuf)
		switch {
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EAGAIN):
			c.putIdleBuffer()
			return false
		case err != nil:
			r.err = err
		default:
			r.n = n
		}
		return true
	}
}

// putIdleBuffer gives the read buffer back to the pool while the
// connection waits for data, when nothing in it is still needed.
func (c *Conn) putIdleBuffer() {
	if c.rbuf != nil && c.rpos >= c.rend {
		bufpool.Put(c.rbuf)
		c.rbuf = nil
	}
}
