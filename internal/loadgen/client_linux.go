package loadgen

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Config describes a load.
type Config struct {
	Addr  string // host:port of the echo server
	Conns int    // connections
	Size  int    // payload bytes per message
	Text  bool   // text messages instead of binary
	Loops int    // event loops, each on its own goroutine; 0 means 1
	// VerifyAll compares every echo with the message sent; otherwise only
	// each connection's first echo is compared, and later ones are
	// checked for length and framing only.
	VerifyAll bool
	// DialTimeout bounds each connection's TCP connect and handshake; 0
	// means 10 s.
	DialTimeout time.Duration

	// Compress offers permessage-deflate (DeflateOffer) and requires the
	// server to accept it. Messages are then JSON text (JSONMessage, Text
	// is implied), Variants of them (0 means DefaultVariants), each
	// compressed once in advance at ClientLevel and sent as a text frame
	// with RSV1, every connection cycling through them. Echoes may come
	// back compressed or not; the first two of each connection (all with
	// VerifyAll) are inflated, with the server's context as far as they
	// tell it, and compared.
	Compress bool
	Variants int
	// Offer replaces DeflateOffer as the permessage-deflate offer of a
	// compressed load: one with client_no_context_takeover, or
	// ClientContextOffer.
	// fastws bench offers no client_max_window_bits, so that no server
	// can ask for a client window smaller than the messages compressed
	// in advance.
	Offer string

	// Path is the request target of the handshake ("/" if empty) and
	// Host its Host header (Addr if empty).
	Path string
	Host string
	// Sizes, when set, are the payload sizes of the messages each
	// connection cycles through, in this order (Size is then ignored;
	// with Compress, each is a JSON document of that size).
	Sizes []int
	// Rate, when above zero, makes the load open-loop: Rate messages a
	// second over all the connections, each connection sending at its
	// share of the rate on a fixed schedule. A connection whose echo is
	// late sends its next message as soon as the echo is in, and the
	// latency of every message counts from when the schedule said to
	// send it, so a slow server shows as latency, not as fewer samples.
	// 0 is the closed loop: each connection sends again as soon as its
	// echo is in.
	Rate float64
	// KeepGoing makes a connection that fails (closed by the server, a
	// read or write error, a frame that breaks the protocol) close and be
	// counted (Progress.Errors) instead of ending the load, and an echo
	// that differs from the message sent be counted (Mismatches) rather
	// than fail; failed dials are counted too. It implies VerifyAll.
	KeepGoing bool
	// ConnectRate paces the dials: at most ConnectRate connections a
	// second (0: one after another, as fast as they open). OnConnect, if
	// set, is called after each dial with the number open so far.
	ConnectRate float64
	OnConnect   func(open int)
}

// Client is an open set of connections to one server.
type Client struct {
	loops []*loop
	// dialErrors counts the dials that failed under KeepGoing, and
	// lastDialErr holds the last one's error.
	dialErrors  atomic.Uint64
	lastDialErr atomic.Pointer[error]
	extension   string // the server's Sec-WebSocket-Extensions
	recording   atomic.Bool
	stop        atomic.Bool
	done        chan struct{}
	started     bool
}

// Connect opens cfg.Conns connections to cfg.Addr, one after another
// (which keeps the servers' accept queues short), and spreads them over
// the event loops.
func Connect(cfg Config) (*Client, error) {
	if cfg.Conns <= 0 || cfg.Size < 0 {
		return nil, fmt.Errorf("loadgen: bad config %+v", cfg)
	}
	nloops := min(max(cfg.Loops, 1), cfg.Conns)
	timeout := cfg.DialTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	msgs, err := buildMessages(cfg.Size, cfg.Text, cfg.Compress, cfg.Variants)
	maxSize := cfg.Size
	if len(cfg.Sizes) > 0 {
		msgs, err = buildSized(cfg.Sizes, cfg.Text || cfg.Compress, cfg.Compress)
		maxSize = slices.Max(cfg.Sizes)
	}
	if err != nil {
		return nil, err
	}
	host := cfg.Host
	if host == "" {
		host = cfg.Addr
	}
	offer := ""
	if cfg.Compress {
		offer = DeflateOffer
		if cfg.Offer != "" {
			offer = cfg.Offer
		}
	}
	c := &Client{done: make(chan struct{})}
	for range nloops {
		l, err := newLoop(msgs, &c.recording, &c.stop)
		if err != nil {
			c.Close()
			return nil, err
		}
		l.verify = cfg.VerifyAll || cfg.KeepGoing
		l.keepGoing = cfg.KeepGoing
		if cfg.Compress {
			// The second echo is the first a server with context
			// takeover compresses against its context.
			l.verifyFirst = 2
		}
		c.loops = append(c.loops, l)
	}
	start := time.Now()
	open := 0
	for i := range cfg.Conns {
		if cfg.ConnectRate > 0 {
			due := start.Add(time.Duration(float64(i) / cfg.ConnectRate * float64(time.Second)))
			time.Sleep(time.Until(due))
		}
		fd, ext, err := dialWebSocket(cfg.Addr, host, cfg.Path, timeout, offer, maxSize)
		if err == nil && open > 0 && ext != c.extension {
			closeFD(fd)
			err = fmt.Errorf("negotiated %q, the first connection %q", ext, c.extension)
		}
		if err != nil {
			if cfg.KeepGoing {
				c.dialErrors.Add(1)
				c.lastDialErr.Store(&err)
				continue
			}
			c.Close()
			return nil, fmt.Errorf("loadgen: connection %d of %d: %w", i+1, cfg.Conns, err)
		}
		if open == 0 {
			c.extension = ext
		}
		if err := c.loops[open%nloops].add(fd, cfg.Compress); err != nil {
			closeFD(fd)
			c.Close()
			return nil, err
		}
		open++
		if cfg.OnConnect != nil {
			cfg.OnConnect(open)
		}
	}
	if open == 0 {
		err := *c.lastDialErr.Load()
		c.Close()
		return nil, fmt.Errorf("loadgen: no connection opened of %d: %w", cfg.Conns, err)
	}
	// Each loop's share of an open-loop rate follows its share of the
	// connections.
	for _, l := range c.loops {
		if cfg.Rate > 0 && len(l.conns) > 0 {
			l.interval = time.Duration(float64(time.Second) * float64(open) / (cfg.Rate * float64(len(l.conns))))
		}
	}
	return c, nil
}

// Start sets the loops going. With limit > 0 each connection stops after
// limit echoes; with 0 they go on until Stop. Either way the loops end
// with an error once maxRun has passed, a bound for when nobody calls Stop.
// A Client starts once.
func (c *Client) Start(limit int, maxRun time.Duration) error {
	if c.started {
		return errors.New("loadgen: client already started")
	}
	c.started = true
	var wg sync.WaitGroup
	deadline := time.Now().Add(maxRun)
	for _, l := range c.loops {
		l.limit = limit
		l.deadline = deadline
		wg.Go(l.run)
	}
	go func() {
		wg.Wait()
		close(c.done)
	}()
	return nil
}

// SetRecording turns counting and timing of echoes on or off; the
// measured window is the time it is on.
func (c *Client) SetRecording(on bool) { c.recording.Store(on) }

// Wait waits up to timeout for the loops to end, which they do on their
// own only under a limit or on an error, and returns the first error. On
// timeout it stops them.
func (c *Client) Wait(timeout time.Duration) error {
	if !c.started {
		return nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.done:
		return c.err()
	case <-t.C:
		if err := c.Stop(); err != nil {
			return err
		}
		return fmt.Errorf("loadgen: not done after %v", timeout)
	}
}

// Stop ends the loops (each notices within one epoll_wait timeout) and
// returns the first error any of them met.
func (c *Client) Stop() error {
	if !c.started {
		return nil
	}
	c.stop.Store(true)
	select {
	case <-c.done:
		return c.err()
	case <-time.After(5 * time.Second):
		return errors.New("loadgen: event loops did not stop")
	}
}

func (c *Client) err() error {
	var errs []error
	for _, l := range c.loops {
		if l.err != nil {
			errs = append(errs, l.err)
		}
	}
	return errors.Join(errs...)
}

// Result returns the echoes completed while recording and their
// round-trip times. Call it after Stop or Wait.
func (c *Client) Result() (messages uint64, latency *Histogram) {
	latency = new(Histogram)
	for _, l := range c.loops {
		messages += l.messages
		latency.Merge(&l.hist)
	}
	return messages, latency
}

// Wire returns the bytes on the wire of the echoes completed while
// recording. Call it after Stop or Wait.
func (c *Client) Wire() Wire {
	var w Wire
	for _, l := range c.loops {
		w.merge(l.wire)
	}
	return w
}

// Extension returns the server's Sec-WebSocket-Extensions response, the
// same on every connection; empty without compression.
func (c *Client) Extension() string { return c.extension }

// Close closes every connection. Running loops must have been stopped.
func (c *Client) Close() {
	for _, l := range c.loops {
		l.close()
	}
	c.loops = nil
}

// Done is closed when every loop has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// Progress merges the loops' latest snapshots, which each running loop
// refreshes every 200 ms.
func (c *Client) Progress() Progress {
	var p Progress
	if n := c.dialErrors.Load(); n > 0 {
		p.Errors = map[string]uint64{"connect": n}
	}
	for _, l := range c.loops {
		l.snapMu.Lock()
		p.Open += l.snap.open
		p.Messages += l.snap.messages
		p.Mismatches += l.snap.mismatches
		p.Behind += l.snap.behind
		p.Latency.Merge(&l.snap.hist)
		for k, v := range l.snap.errors {
			if p.Errors == nil {
				p.Errors = map[string]uint64{}
			}
			p.Errors[k] += v
		}
		l.snapMu.Unlock()
	}
	return p
}
