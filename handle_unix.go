//go:build unix

package fastws

import (
	"io"
	"syscall"

	"github.com/fastws/fastws/internal/bufpool"
)

func newHandler(c *Conn) *handler {
	h := &handler{c: c}
	h.readFn = h.onReadable
	return h
}

// run handles what the read buffer holds, then waits on the poller with
// onReadable until something stops the fast path.
func (h *handler) run() (exitReason, error) {
	h.exit, h.err, h.count, h.waitFirst = exitRead, nil, 0, false
	if !h.parse() {
		return h.exit, h.err
	}
	if err := h.c.sys.raw.Read(h.readFn); err != nil {
		return exitRead, err // closed, or ctx or the deadline ended the wait
	}
	return h.exit, h.err
}

// onReadable is the poller's callback: it reads, handles every message
// the read completed, and reads again until the socket is drained. It
// returns false to wait for data, true to stop the fast path.
func (h *handler) onReadable(fd uintptr) bool {
	c := h.c
	for {
		if h.waitFirst {
			// The last read came back short, so the socket was empty
			// then, and anything that came since has told the poller:
			// wait now, without the read that would say EAGAIN.
			h.waitFirst = false
			c.putIdleBuffer()
			return false
		}
		if c.rbuf == nil {
			c.rbuf = bufpool.Get(c.readBufferSize())
		}
		// Large payload goes straight into the message, with what follows
		// the frame into the read buffer in the same call: a read that
		// asked for just the frame's rest could not tell a drained socket
		// from one with more to come.
		p, rest := *c.rbuf, []byte(nil)
		direct := false
		if rem := c.parser.Remaining(); h.partial && rem >= directReadMin {
			p, rest, direct = h.room(rem), p, true
		}
		var n int
		var errno syscall.Errno
		if direct {
			n, errno = sysReadv(fd, p, rest)
		} else {
			n, errno = sysRead(fd, p)
		}
		switch errno {
		case 0:
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			c.putIdleBuffer()
			return false
		default:
			h.exit, h.err = exitRead, errno
			return true
		}
		if n == 0 {
			h.exit, h.err = exitRead, io.EOF
			return true
		}
		asked := len(p)
		if direct && readvJoins {
			asked += len(rest)
		}
		h.waitFirst = n < asked
		if direct {
			if !h.direct(p[:min(n, len(p))]) {
				c.rpos, c.rend = 0, max(n-len(p), 0) // parsed when the fast path goes on
				return true
			}
			n -= min(n, len(p))
		}
		c.rpos, c.rend = 0, n
		if !h.parse() {
			return true
		}
	}
}

// room returns where the next direct read of the current frame's payload
// goes: msg's spare capacity, grown to fit up to rem bytes but at most to
// double what has arrived.
func (h *handler) room(rem int64) []byte {
	if len(h.msg) == cap(h.msg) {
		h.grow(int(min(rem, int64(max(len(h.msg), h.c.opts.readBufferSize())))))
	}
	n := int(min(rem, int64(cap(h.msg)-len(h.msg))))
	return h.msg[len(h.msg) : len(h.msg)+n]
}

// direct parses payload read straight into msg's spare capacity, in place.
func (h *handler) direct(p []byte) bool {
	c := h.c
	if _, err := c.parser.Next(p, &c.ev); err != nil {
		h.exit, h.err = exitParse, err
		return false
	}
	h.msg = h.msg[:len(h.msg)+len(p)]
	if !c.ev.EndOfMessage() {
		return true
	}
	h.partial = false
	c.halfHandled = false
	return h.handled(h.msg)
}
