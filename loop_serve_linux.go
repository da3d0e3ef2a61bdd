//go:build linux

package fastws

import (
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/internal/netpoll"
	"golang.org/x/sys/unix"
)

// acceptBatch bounds how many connections one wake-up of the listener
// accepts before handing them to the loops.
const acceptBatch = 64

// loopsSupported reports whether the event loops can take ln's
// connections: a TCP or Unix socket listener (a TLS listener wraps its
// connections, and the loops do not speak TLS).
func loopsSupported(ln net.Listener) bool {
	switch ln.(type) {
	case *net.TCPListener, *net.UnixListener:
		return true
	}
	return false
}

// serveLoops accepts connections on this goroutine and hands each to a
// loop, where its handshake and everything after run. Go's listener does
// not lend itself to waiting (its raw connection refuses Read), so this
// goroutine waits on an epoll instance of its own, with a duplicate of
// the listener's descriptor that it closes when the Server does.
func (s *Server) serveLoops(ln net.Listener) error {
	g, err := s.startLoops()
	if err != nil {
		return err
	}
	lfd, err := dupListener(ln)
	if err != nil {
		return err
	}
	defer unix.Close(lfd)
	p, err := netpoll.New()
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.Add(lfd, false); err != nil {
		return err
	}
	var stopped atomic.Bool
	if !s.onClose(ln, func() { stopped.Store(true); _ = p.Wake() }) {
		return ErrServerClosed
	}
	_, tcp := ln.(*net.TCPListener)
	var delay time.Duration
	events := make([]netpoll.Event, 2)
	batch := make([]acceptedConn, 0, acceptBatch)
	acc := &acceptor{lfd: lfd}
	for {
		if _, err := p.Wait(events, -1); err != nil {
			return err
		}
		if stopped.Load() {
			return ErrServerClosed
		}
		for {
			var aerr error
			batch, aerr = acc.acceptSome(batch[:0])
			for _, a := range batch {
				if tcp {
					_ = unix.SetsockoptInt(a.fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
				}
				if !g.pick().hand(a) {
					unix.Close(a.fd)
				}
			}
			if aerr != nil {
				// Out of descriptors or memory: wait and retry, as
				// net/http does.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logf("fastws: Server: accept: %v; retrying in %v", aerr, delay)
				time.Sleep(delay)
				break
			}
			delay = 0
			if len(batch) < acceptBatch {
				break // the backlog is empty: wait again
			}
		}
	}
}

// acceptSome accepts up to acceptBatch pending connections.
func (a *acceptor) acceptSome(batch []acceptedConn) ([]acceptedConn, error) {
	for len(batch) < acceptBatch {
		fd, peer, err := a.accept()
		switch err {
		case nil:
			batch = append(batch, acceptedConn{fd: fd, peer: peer})
		case unix.EINTR, unix.ECONNABORTED:
		case unix.EAGAIN:
			return batch, nil
		default:
			return batch, err
		}
	}
	return batch, nil
}

// dupListener returns a non-blocking duplicate of ln's descriptor.
func dupListener(ln net.Listener) (int, error) {
	return dupSocket(ln.(syscall.Conn))
}

// dupSocket returns a non-blocking duplicate of a socket's descriptor.
func dupSocket(sc syscall.Conn) (int, error) {
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	if err := rc.Control(func(lfd uintptr) {
		fd, derr = unix.FcntlInt(lfd, unix.F_DUPFD_CLOEXEC, 0)
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

// startLoops starts the Server's loops on first use.
func (s *Server) startLoops() (*loopGroup, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loops != nil {
		return s.loops, nil
	}
	g, err := newLoopGroup(s, s.opts.Loops)
	if err != nil {
		return nil, err
	}
	s.loops = g
	return g, nil
}

// adopt hands a connection that net/http upgraded to a loop, when it is a
// plain socket: the loop takes a duplicate of its descriptor, and the
// net.Conn is closed without a word to the peer.
func (s *Server) adopt(nc net.Conn, hs *handshakeResult, req *OpenRequest) bool {
	var peer netip.AddrPort
	switch c := nc.(type) {
	case *net.TCPConn:
		ap := c.RemoteAddr().(*net.TCPAddr).AddrPort()
		peer = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.UnixConn:
	default:
		return false // TLS, or a wrapped connection: it stays on goroutines
	}
	g, err := s.startLoops()
	if err != nil {
		return false
	}
	fd, err := dupSocket(nc.(syscall.Conn))
	if err != nil {
		return false
	}
	a := &adoptedConn{neg: hs.negotiated, req: req}
	if hs.rbuf != nil {
		a.rest = append([]byte(nil), (*hs.rbuf)[hs.rpos:hs.rend]...)
		bufpool.Put(hs.rbuf)
	}
	nc.Close()
	if !g.pick().hand(acceptedConn{fd: fd, peer: peer, adopted: a}) {
		unix.Close(fd)
	}
	return true
}
