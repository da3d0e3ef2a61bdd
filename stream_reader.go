package fastws

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// streamReadBuffer is what a resumableReader reads into: one buffer per
// connection, the size of an HTTP/2 DATA frame's default maximum payload
// halved (a body hands over what it has, in pieces of any size).
const streamReadBuffer = 8 << 10

// resumableReader reads a body that offers no deadlines of its own, or
// only fatal ones (an HTTP/2 stream's request or response body: net/http's
// server closes the body when a ResponseController read deadline passes),
// on a goroutine of its own. A read deadline, or a context that ends,
// then interrupts the caller's Read and leaves the stream usable, as
// Conn's read deadlines promise. It costs a goroutine and
// streamReadBuffer bytes per connection, and a hand-over per read.
//
// Read is called by one goroutine at a time (Conn's reader);
// SetReadDeadline and Close by any.
type resumableReader struct {
	body    io.ReadCloser
	started bool
	results chan readResult
	ack     chan struct{} // Read drained a result: the pump may reuse its buffer
	stop    chan struct{}
	once    sync.Once

	pending []byte // bytes of the last result not yet copied out
	err     error  // the body's error, returned once pending is drained

	mu       sync.Mutex
	deadline time.Time
	wake     chan struct{} // closed (and replaced) when the deadline moves
}

type readResult struct {
	b   []byte
	err error
}

func newResumableReader(body io.ReadCloser) *resumableReader {
	return &resumableReader{
		body:    body,
		results: make(chan readResult),
		ack:     make(chan struct{}, 1),
		stop:    make(chan struct{}),
		wake:    make(chan struct{}),
	}
}

func (r *resumableReader) Read(p []byte) (int, error) {
	if len(r.pending) == 0 && r.err == nil {
		if err := r.wait(); err != nil {
			return 0, err
		}
	}
	if len(r.pending) > 0 {
		n := copy(p, r.pending)
		r.pending = r.pending[n:]
		if len(r.pending) == 0 && r.err == nil {
			r.ack <- struct{}{}
		}
		return n, nil
	}
	return 0, r.err
}

// wait blocks until the pump has a result, the deadline passes or the
// reader is closed.
func (r *resumableReader) wait() error {
	if !r.started {
		r.started = true
		go r.pump()
	}
	for {
		r.mu.Lock()
		deadline, wake := r.deadline, r.wake
		r.mu.Unlock()
		var timer *time.Timer
		var expired <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return os.ErrDeadlineExceeded
			}
			timer = time.NewTimer(d)
			expired = timer.C
		}
		again, err := r.await(expired, wake)
		if timer != nil {
			timer.Stop()
		}
		if !again {
			return err
		}
	}
}

// await waits for one event; again says the deadline moved.
func (r *resumableReader) await(expired <-chan time.Time, wake chan struct{}) (again bool, err error) {
	select {
	case res := <-r.results:
		r.pending, r.err = res.b, res.err
		return false, nil
	case <-expired:
		return false, os.ErrDeadlineExceeded
	case <-wake:
		return true, nil
	case <-r.stop:
		return false, net.ErrClosed
	}
}

// pump reads the body until it fails, handing each piece to Read and
// waiting until it is drained before reading into the buffer again.
func (r *resumableReader) pump() {
	buf := make([]byte, streamReadBuffer)
	for {
		n, err := r.body.Read(buf)
		if n == 0 && err == nil {
			continue
		}
		select {
		case r.results <- readResult{buf[:n], err}:
		case <-r.stop:
			return
		}
		if err != nil {
			return
		}
		select {
		case <-r.ack:
		case <-r.stop:
			return
		}
	}
}

// SetReadDeadline moves the deadline; a Read blocked now sees it at once.
func (r *resumableReader) SetReadDeadline(t time.Time) error {
	r.mu.Lock()
	r.deadline = t
	close(r.wake)
	r.wake = make(chan struct{})
	r.mu.Unlock()
	return nil
}

// Close closes the body, which ends the pump's read.
func (r *resumableReader) Close() error {
	var err error
	r.once.Do(func() {
		close(r.stop)
		err = r.body.Close()
	})
	return err
}
