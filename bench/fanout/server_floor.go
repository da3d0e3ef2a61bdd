package fanout

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"net"
	"runtime"
	"sync/atomic"

	"github.com/fastws/fastws/bench/servers"
	"golang.org/x/sys/unix"
)

// Floor is the physical floor of broadcast on Linux, the reference row
// of the fan-out tables: not a library, but the least a fan-out server
// can do per delivery. One goroutine, locked to its thread, waits on one
// level-triggered epoll instance for the listener and every connection.
// After a minimal opening handshake (the request target says publisher
// or subscriber, Sec-WebSocket-Key is the only header read), each
// message the publisher sends is unmasked in place and framed for the
// subscribers once, behind a server header written over the masking key,
// and that frame goes to every subscriber with one write(2) each. A
// subscriber whose socket does not take it all keeps the rest in a
// buffer of its own, flushed on EPOLLOUT, to which later frames are
// appended; past floorMaxQueued bytes, messages are dropped for that
// subscriber. It checks nothing a real server must (limits beyond the
// frame size, UTF-8, fragmentation, control frames, timeouts) and
// allocates nothing per delivery: the CPU it spends per delivery is the
// write system call's, and the kernel's delivery of it on loopback.
const Floor = "floor"

const (
	// floorMaxQueued bounds what waits in the server for one
	// subscriber; a frame that would go past it is dropped for it.
	floorMaxQueued = 1 << 20
	// floorMaxHead bounds an opening request's head.
	floorMaxHead = 8 << 10
	// floorReadBuffer is the loop's buffer for what subscribers send
	// (nothing, until they close) and for request heads.
	floorReadBuffer = 64 << 10
	// floorPublisherBuffer holds the publisher's unparsed bytes: more
	// than a window of the largest messages.
	floorPublisherBuffer = 2*maxMessage + 64<<10
)

// floorServer is the Floor server. Its fields but the counters are the
// loop's alone; the counters are read by the debug endpoint.
type floorServer struct {
	epfd  int
	lfd   int
	conns map[int32]*floorConn
	subs  []*floorConn
	buf   []byte

	subscribers, published, delivered, dropped, queued atomic.Int64
}

// floorConn is one connection.
type floorConn struct {
	fd        int
	in        []byte // a partial request head, or the publisher's unparsed bytes
	out       []byte // frame bytes the socket did not take yet
	at        int    // index in subs, for a subscriber; -1 otherwise
	upgraded  bool
	publisher bool
}

func newFloorServer() *floorServer {
	return &floorServer{epfd: -1, lfd: -1, conns: make(map[int32]*floorConn), buf: make([]byte, floorReadBuffer)}
}

func (s *floorServer) stats(st *serverStats) {
	st.Subscribers = s.subscribers.Load()
	st.Published = s.published.Load()
	st.Delivered = s.delivered.Load()
	st.Dropped, st.DroppedUnit = s.dropped.Load(), "messages"
	st.Queued = s.queued.Load()
}

// serve runs the loop on a duplicate of ln's descriptor: closing ln does
// not stop it, which is all a benchmark server needs.
func (s *floorServer) serve(ln net.Listener) error {
	lfd, err := servers.DupListenerFD(ln)
	if err != nil {
		return err
	}
	s.lfd = lfd
	if s.epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return err
	}
	if err := s.ctl(unix.EPOLL_CTL_ADD, lfd, unix.EPOLLIN); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.run() }()
	return <-errc
}

func (s *floorServer) ctl(op, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	return unix.EpollCtl(s.epfd, op, fd, &ev)
}

func (s *floorServer) run() error {
	runtime.LockOSThread()
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(s.epfd, events, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			if int(ev.Fd) == s.lfd {
				s.accept()
				continue
			}
			c := s.conns[ev.Fd]
			if c == nil {
				continue
			}
			if ev.Events&unix.EPOLLOUT != 0 && len(c.out) > 0 {
				if !s.flush(c) {
					s.close(c)
					continue
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				s.readable(c)
			}
		}
	}
}

func (s *floorServer) accept() {
	for range 64 {
		fd, _, err := unix.Accept4(s.lfd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		switch err {
		case nil:
		case unix.EINTR, unix.ECONNABORTED:
			continue
		default:
			return // EAGAIN, or a failure the next event retries
		}
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
		if err := s.ctl(unix.EPOLL_CTL_ADD, fd, unix.EPOLLIN); err != nil {
			unix.Close(fd)
			continue
		}
		s.conns[int32(fd)] = &floorConn{fd: fd, at: -1}
	}
}

// readable reads once from c: its request head, the publisher's frames,
// or whatever a subscriber sends, which is dropped.
func (s *floorServer) readable(c *floorConn) {
	dst := s.buf
	if c.publisher {
		dst = c.in[len(c.in):cap(c.in)]
	}
	n, err := unix.Read(c.fd, dst)
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return
	case err != nil || n == 0:
		s.close(c)
		return
	}
	switch {
	case c.publisher:
		c.in = c.in[:len(c.in)+n]
		if !s.publish(c) {
			s.close(c)
		}
	case !c.upgraded:
		if !s.handshake(c, dst[:n]) {
			s.close(c)
		}
	}
}

var floorHeadEnd = []byte("\r\n\r\n")

// handshake adds b to c's request head and, once it is whole, answers
// it and makes c a subscriber or the publisher.
func (s *floorServer) handshake(c *floorConn, b []byte) bool {
	head := b
	if len(c.in) > 0 {
		c.in = append(c.in, b...)
		head = c.in
	}
	end := bytes.Index(head, floorHeadEnd)
	if end < 0 {
		if len(head) >= floorMaxHead {
			return false
		}
		if len(c.in) == 0 {
			c.in = append(make([]byte, 0, 1024), b...)
		}
		return true
	}
	rest := head[end+4:]
	head = head[:end]
	line, _, _ := bytes.Cut(head, []byte("\r\n"))
	key := floorHeader(head, "sec-websocket-key")
	if len(key) == 0 {
		return false
	}
	var acc [28]byte
	h := sha1.New()
	h.Write(key)
	h.Write([]byte(websocketGUID))
	base64.StdEncoding.Encode(acc[:], h.Sum(nil))
	resp := make([]byte, 0, 160)
	resp = append(resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	resp = append(resp, acc[:]...)
	resp = append(resp, "\r\n\r\n"...)
	// The socket is new and empty: it takes the response whole.
	if n, err := unix.Write(c.fd, resp); err != nil || n < len(resp) {
		return false
	}
	c.upgraded = true
	if isPublisher(string(line)) {
		c.publisher = true
		c.in = append(make([]byte, 0, floorPublisherBuffer), rest...)
		return s.publish(c)
	}
	c.in = nil
	c.at = len(s.subs)
	s.subs = append(s.subs, c)
	s.subscribers.Store(int64(len(s.subs)))
	return true
}

// floorHeader returns the value of the header called name (lower case)
// in a request head.
func floorHeader(head []byte, name string) []byte {
	for line := range bytes.SplitSeq(head, []byte("\r\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(k), []byte(name)) {
			return bytes.TrimSpace(v)
		}
	}
	return nil
}

// publish publishes the whole frames at the start of c.in and keeps the
// rest. It reports false if the publisher must be closed.
func (s *floorServer) publish(c *floorConn) bool {
	b := c.in
	for {
		size, hdr, length, whole := servers.FloorFrame(b)
		if hdr > 0 && length > maxMessage {
			return false
		}
		if !whole {
			break
		}
		op := b[0] & 0x8f // FIN and opcode
		if b[1]&0x80 == 0 {
			return false // a client frame must be masked
		}
		if op&0x0f >= 0x8 {
			if op&0x0f == 0x8 {
				return false // close
			}
			b = b[size:] // ping, pong: not published
			continue
		}
		// Unmask in place and write the server header over the end
		// of the client's header and its masking key.
		key := [4]byte(b[hdr : hdr+4])
		payload := b[hdr+4 : size]
		for i := range payload {
			payload[i] ^= key[i&3]
		}
		f := b[4:size]
		f[0] = op
		switch hdr {
		case 2:
			f[1] = byte(length)
		case 4:
			f[1] = 126
			binary.BigEndian.PutUint16(f[2:], uint16(length))
		default:
			f[1] = 127
			binary.BigEndian.PutUint64(f[2:], uint64(length))
		}
		s.broadcast(f)
		b = b[size:]
	}
	c.in = c.in[:copy(c.in[:cap(c.in)], b)]
	return true
}

// broadcast delivers frame to every subscriber: one write each, or an
// append to what already waits for it.
func (s *floorServer) broadcast(frame []byte) {
	s.published.Add(1)
	var delivered, dropped, queued int64
	for i := 0; i < len(s.subs); {
		c := s.subs[i]
		if len(c.out) > 0 {
			if len(c.out)+len(frame) > floorMaxQueued {
				dropped++
			} else {
				c.out = append(c.out, frame...)
				queued += int64(len(frame))
				delivered++
			}
			i++
			continue
		}
		n, err := floorWrite(c.fd, frame)
		if err != nil {
			s.close(c) // swaps the last subscriber into i
			continue
		}
		if n < len(frame) {
			c.out = append(c.out[:0], frame[n:]...)
			queued += int64(len(frame) - n)
			if s.ctl(unix.EPOLL_CTL_MOD, c.fd, unix.EPOLLIN|unix.EPOLLOUT) != nil {
				s.close(c)
				continue
			}
		}
		delivered++
		i++
	}
	s.delivered.Add(delivered)
	if dropped > 0 {
		s.dropped.Add(dropped)
	}
	if queued > 0 {
		s.queued.Add(queued)
	}
}

// flush writes what waits for c and, once it is all out, stops watching
// for writing. It reports false if c must be closed.
func (s *floorServer) flush(c *floorConn) bool {
	n, err := floorWrite(c.fd, c.out)
	if err != nil {
		return false
	}
	s.queued.Add(-int64(n))
	if n < len(c.out) {
		c.out = c.out[:copy(c.out, c.out[n:])]
		return true
	}
	c.out = c.out[:0]
	return s.ctl(unix.EPOLL_CTL_MOD, c.fd, unix.EPOLLIN) == nil
}

// floorWrite writes p once, counting a full socket buffer as 0 bytes.
func floorWrite(fd int, p []byte) (int, error) {
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

// close forgets c and closes its descriptor.
func (s *floorServer) close(c *floorConn) {
	if c.at >= 0 {
		last := len(s.subs) - 1
		s.subs[c.at] = s.subs[last]
		s.subs[c.at].at = c.at
		s.subs[last] = nil
		s.subs = s.subs[:last]
		c.at = -1
		s.subscribers.Store(int64(len(s.subs)))
	}
	if len(c.out) > 0 {
		s.queued.Add(-int64(len(c.out)))
		c.out = nil
	}
	delete(s.conns, int32(c.fd))
	_ = unix.EpollCtl(s.epfd, unix.EPOLL_CTL_DEL, c.fd, nil)
	unix.Close(c.fd)
}
