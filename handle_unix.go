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
	h.exit, h.err, h.count = exitRead, nil, 0
	if !h.parse() {
		return h.exit, h.err
	}
	if err := h.c.sys.raw.Read(h.readFn); err != nil {
		return exitRead, err // closed, or ctx or the deadline ended the wait
	}
	return h.exit, h.err
}

// onReadable is the poller's callback: it reads, handles every message
// the read completed, and reads again until the socket says EAGAIN. It
// returns false to wait for data, true to stop the fast path.
//
// Reading until EAGAIN is the rule of edge-triggered polling, which Go's
// poller does, and it cannot be cut short after a read that came back
// short: an end of stream that arrived with the data raises no new edge,
// so waiting then would wait for ever (FuzzHandleMessages found it).
func (h *handler) onReadable(fd uintptr) bool {
	c := h.c
	for {
		if c.rbuf == nil {
			c.rbuf = bufpool.Get(c.readBufferSize())
		}
		// Large payload goes straight into the message.
		p, direct := *c.rbuf, false
		if rem := c.parser.Remaining(); h.partial && rem >= directReadMin {
			p, direct = h.room(rem), true
		}
		n, errno := sysRead(fd, p)
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
		if direct {
			if !h.direct(p[:n]) {
				return true
			}
			continue
		}
		c.rpos, c.rend = 0, n
		if !h.parse() {
			return true
		}
	}
}

// direct parses payload read straight into the room room returned, in
// place.
func (h *handler) direct(p []byte) bool {
	c := h.c
	if _, err := c.parser.Next(p, &c.ev); err != nil {
		h.exit, h.err = exitParse, err
		return false
	}
	h.took(len(p))
	if !h.account(len(p)) {
		return false
	}
	if !c.ev.EndOfMessage() {
		return true
	}
	return h.finish()
}
