package fanout

import (
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// Publisher bounds.
const (
	// pubWriteTimeout bounds one write of the publisher: a server that
	// stops reading it fails the cell instead of hanging the bench.
	pubWriteTimeout = 5 * time.Second
	// stuckTimeout is how long the publisher waits for the oldest
	// outstanding message to reach every subscriber before it stops
	// waiting for that one (counted as abandoned): a message lost for
	// good must not stall the window for the rest of the cell.
	stuckTimeout = 2 * time.Second
	// maxLag is how far behind its schedule a fixed-rate publisher may
	// fall (a slow write) and catch up by sending at once; ticks later
	// than this are skipped and counted, so that a server that holds
	// the publisher up does not get a burst afterwards.
	maxLag = 100 * time.Millisecond
	// maxBacklog bounds, in time at the fixed rate, the messages a
	// fixed-rate publisher has outstanding: so that a server that cannot
	// carry the rate shows it in skipped ticks and latency, and its
	// backlog drains in a few seconds after the cell.
	maxBacklog = 2 * time.Second
	// recheck is how often a waiting publisher looks at the deliveries
	// even without a notice: one can be missed when a subscriber fails.
	recheck = 10 * time.Millisecond
)

// publisher is the connection that publishes, from this process, so that
// the stamps it writes and the subscribers' clocks are one clock.
type publisher struct {
	nc      net.Conn
	subs    *subscribers
	next    int64      // sequence number of the next message
	readErr chan error // the reader's end: the server closed the connection
	json    bool       // publish JSON documents, not the filler (compressed runs)
}

// newPublisher connects the publisher to addr, without extensions; its
// subscribers are set once they are connected. json has it publish JSON
// documents instead of the filler.
func newPublisher(addr string, json bool) (*publisher, error) {
	nc, _, err := dial(addr, publishPath, 0, "")
	if err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	p := &publisher{nc: nc, readErr: make(chan error, 1), json: json}
	// The servers send the publisher nothing; reading notices when one
	// closes it, and keeps whatever it sends from piling up.
	go func() {
		_, err := io.Copy(io.Discard, nc)
		if err == nil {
			err = io.EOF
		}
		p.readErr <- err
	}()
	return p, nil
}

// closed returns the reader's error once the server has closed the
// connection, and nil while it is open.
func (p *publisher) closed() error {
	select {
	case err := <-p.readErr:
		p.readErr <- err // for the next caller
		return err
	default:
		return nil
	}
}

func (p *publisher) close() { abortConn(p.nc) }

// plan is what the publisher does in a cell.
type plan struct {
	size int
	// rate is messages per second; 0 is full speed: as fast as the
	// window lets it.
	rate float64
	// window bounds the messages published and not yet delivered to
	// every subscriber, at full speed.
	window int
}

// pubResult is what a publishing run did.
type pubResult struct {
	sent      int64 // messages published
	skipped   int64 // fixed-rate ticks not published: too far behind schedule, or maxOutstanding reached
	abandoned int64 // messages the window stopped waiting for (stuckTimeout)
	err       error
}

// pubRun is one publishing run, from start to stop.
type pubRun struct {
	markStart atomic.Bool // publish the next message as the window's first
	stopped   atomic.Bool
	stopCh    chan struct{}
	done      chan pubResult
}

// start publishes by pl on a goroutine of its own until stop.
func (p *publisher) start(pl plan) *pubRun {
	r := &pubRun{stopCh: make(chan struct{}), done: make(chan pubResult, 1)}
	go func() { r.done <- p.run(pl, r) }()
	return r
}

// beginWindow has the next message published open the measured window.
func (r *pubRun) beginWindow() { r.markStart.Store(true) }

// stop ends the run: the first message not published is the end of the
// window.
func (r *pubRun) stop() {
	if r.stopped.CompareAndSwap(false, true) {
		close(r.stopCh)
	}
}

func (p *publisher) run(pl plan, r *pubRun) (res pubResult) {
	s := p.subs
	tmpl := newTemplates(pl.size, p.json)
	var limit int64
	var interval time.Duration
	if pl.rate > 0 {
		interval = time.Duration(float64(time.Second) / pl.rate)
		// A server that cannot keep up gets at most maxBacklog of
		// messages ahead of it; later ticks are skipped and counted.
		limit = min(max(int64(pl.rate*maxBacklog.Seconds()), 4), maxOutstanding)
	} else {
		limit = int64(max(pl.window, 1))
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// wait sleeps up to d, or until a delivery notice; it reports false
	// once the run is stopped.
	wait := func(d time.Duration, notices bool) bool {
		timer.Reset(d)
		var notify chan struct{}
		if notices {
			notify = s.notify
		}
		select {
		case <-r.stopCh:
			return false
		case <-notify:
		case <-timer.C:
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		return true
	}
	lastOldest, since := s.oldest, time.Now()
	// settled reports whether the publisher may send one more message,
	// abandoning a message stuck for stuckTimeout.
	settled := func() bool {
		oldest := s.advance(p.next)
		if oldest != lastOldest || oldest == p.next {
			lastOldest, since = oldest, time.Now()
		} else if time.Since(since) > stuckTimeout {
			s.oldest++
			res.abandoned++
			lastOldest, since = s.oldest, time.Now()
		}
		return p.next-s.oldest < limit
	}
	start := time.Now()
	var tick int64
	for {
		if r.stopped.Load() {
			s.rangeEnd.Store(p.next)
			return res
		}
		if r.markStart.CompareAndSwap(true, false) {
			s.rangeStart.Store(p.next)
		}
		if interval > 0 {
			due := start.Add(time.Duration(tick) * interval)
			if d := time.Until(due); d > 0 {
				wait(d, false)
				continue // the flags again, then this tick
			} else if -d > maxLag {
				missed := int64(-d / interval)
				res.skipped += missed
				tick += missed
			}
			tick++
			if !settled() {
				res.skipped++
				continue
			}
		} else if !settled() {
			wait(recheck, true)
			continue
		}
		s.prepare(p.next)
		frame := tmpl.fill(p.next, now())
		if err := p.nc.SetWriteDeadline(time.Now().Add(pubWriteTimeout)); err != nil {
			res.err = err
			s.rangeEnd.Store(p.next)
			return res
		}
		if _, err := p.nc.Write(frame); err != nil {
			res.err = fmt.Errorf("publisher: %w", err)
			s.rangeEnd.Store(p.next)
			return res
		}
		p.next++
		res.sent++
	}
}

// fill publishes count messages of size bytes back to back, before any
// subscriber but the stalled one is connected.
func (p *publisher) fill(count, size int) error {
	tmpl := newTemplates(size, p.json)
	for range count {
		if err := p.nc.SetWriteDeadline(time.Now().Add(pubWriteTimeout)); err != nil {
			return err
		}
		if _, err := p.nc.Write(tmpl.fill(p.next, now())); err != nil {
			return fmt.Errorf("publisher: fill: %w", err)
		}
		p.next++
	}
	return nil
}
