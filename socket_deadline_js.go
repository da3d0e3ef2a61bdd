package fastws

import (
	"sync"
	"time"
)

// socketDeadline is a browserSocket's read or write deadline, as
// net.Pipe keeps its own: a channel that closes when the deadline
// passes, for a blocked call to select on.
type socketDeadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	passed chan struct{}
}

func newSocketDeadline() socketDeadline {
	return socketDeadline{passed: make(chan struct{})}
}

// set moves the deadline to t; the zero time means none.
func (d *socketDeadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.passed // the timer fired: wait until its function has closed passed
	}
	d.timer = nil
	closed := false
	select {
	case <-d.passed:
		closed = true
	default:
	}
	if t.IsZero() {
		if closed {
			d.passed = make(chan struct{})
		}
		return
	}
	if wait := time.Until(t); wait > 0 {
		if closed {
			d.passed = make(chan struct{})
		}
		passed := d.passed
		d.timer = time.AfterFunc(wait, func() { close(passed) })
		return
	}
	if !closed {
		close(d.passed)
	}
}

// wait returns a channel that is closed once the deadline has passed.
func (d *socketDeadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.passed
}
