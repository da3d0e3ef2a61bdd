package fastws

import (
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/fastws/fastws/internal/bufpool"
)

// rawReader reads a TCP or Unix socket through its syscall.RawConn, which
// lets a read wait for the socket to become readable before it takes a
// buffer and before it tries the system call:
//
//   - An idle connection, waiting for its next message, holds no read
//     buffer: the buffer is borrowed from the pool when data is there and
//     given back while the connection waits.
//   - After a read that did not fill the buffer, the socket was drained,
//     so the next read waits for readiness first instead of making a
//     system call that would only say EAGAIN. Go's poller is
//     edge-triggered and keeps a readiness notification until a waiter
//     consumes it, so data that arrives in between is not missed. After a
//     read that filled the buffer, more may be waiting: read at once.
type rawReader struct {
	c         *Conn
	raw       syscall.RawConn
	fn        func(fd uintptr) bool // r.read as a func value, made once
	waitFirst bool
	n         int
	err       error
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
