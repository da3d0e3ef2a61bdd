//go:build linux

package fastws

import (
	"bytes"
	"sync"
)

// With ServerOptions.HandlerGoroutines, a loop connection's callbacks run
// on a goroutine of their own, started when one is due and gone when none
// is, in the order the loop issued them. What the loop lends a callback
// (a message, a ping's payload, the request) is copied first, and the
// loop stops reading a connection whose callbacks have fallen behind by
// more than its queue limit, as it does for a full outbound queue.
type handlerQueue struct {
	mu      sync.Mutex
	tasks   []func()
	bytes   int // copied payload waiting in tasks
	running bool
}

// onLoop reports whether callbacks run on the loop itself.
func (c *loopConn) onLoop() bool { return !c.loop.srv.opts.HandlerGoroutines }

// dispatch runs f, a callback with n bytes of copied payload, on the
// connection's handler goroutine.
func (c *loopConn) dispatch(n int, f func()) {
	x := c.extraOnLoop()
	if x.hq == nil {
		x.hq = &handlerQueue{}
	}
	q := x.hq
	q.mu.Lock()
	q.tasks = append(q.tasks, f)
	q.bytes += n
	start := !q.running
	q.running = true
	behind := q.bytes >= c.q.limit
	q.mu.Unlock()
	if behind {
		c.mu.Lock()
		c.handlersBehind = true
		if !c.dead {
			c.watchLocked()
		}
		c.mu.Unlock()
	}
	if start {
		go c.runHandlers(q)
	}
}

// runHandlers runs the queued callbacks in order until none is left.
func (c *loopConn) runHandlers(q *handlerQueue) {
	for {
		q.mu.Lock()
		if len(q.tasks) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		f := q.tasks[0]
		q.tasks[0] = nil
		q.tasks = q.tasks[1:]
		q.mu.Unlock()
		f()
	}
}

// handled records that a callback with n bytes of payload is done, and
// resumes reading once the callbacks have caught up.
func (c *loopConn) handled(n int) {
	q := c.x().hq
	q.mu.Lock()
	q.bytes -= n
	caughtUp := q.bytes < c.q.limit
	q.mu.Unlock()
	if caughtUp {
		c.mu.Lock()
		if c.handlersBehind && !c.dead {
			c.handlersBehind = false
			c.watchLocked()
		}
		c.mu.Unlock()
	}
}

// onMessage hands a message to the handler.
func (c *loopConn) onMessage(typ MessageType, p []byte) {
	h := c.loop.srv.h
	if c.onLoop() {
		h.OnMessage(&c.s, typ, p)
		return
	}
	p = bytes.Clone(p)
	c.dispatch(len(p), func() {
		h.OnMessage(&c.s, typ, p)
		c.handled(len(p))
	})
}

// onControl hands a ping's or a pong's payload to the handler, when it
// wants them.
func (c *loopConn) onControl(f func(*Session, []byte), p []byte) {
	if c.onLoop() {
		f(&c.s, p)
		return
	}
	p = bytes.Clone(p)
	c.dispatch(len(p), func() {
		f(&c.s, p)
		c.handled(len(p))
	})
}

// onOpen runs OnOpen. The request's head is copied when it is handed to
// another goroutine: the loop reuses its memory.
func (c *loopConn) onOpen(req *OpenRequest) {
	if c.onLoop() {
		c.loop.srv.h.OnOpen(&c.s, req)
		return
	}
	own := *req // req may be the loop's own, which the next handshake reuses
	own.head = bytes.Clone(req.head)
	c.dispatch(0, func() { c.loop.srv.h.OnOpen(&c.s, &own) })
}

// onDrain runs OnDrain.
func (c *loopConn) onDrain() {
	if c.onLoop() {
		c.call(func() { c.loop.srv.drain.OnDrain(&c.s) })
		return
	}
	c.dispatch(0, func() { c.loop.srv.drain.OnDrain(&c.s) })
}

// onClose runs OnClose, after every callback before it, and then lets
// the Server forget the connection.
func (c *loopConn) onClose(ev CloseEvent) {
	srv := c.loop.srv
	if c.onLoop() {
		srv.h.OnClose(&c.s, ev)
		srv.untrack(&c.s)
		return
	}
	c.dispatch(0, func() {
		srv.h.OnClose(&c.s, ev)
		srv.untrack(&c.s)
	})
}
