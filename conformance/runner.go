package conformance

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"runtime"
	"sync"
	"time"
)

// DefaultCaseTimeout bounds a case when neither the case nor the runner
// says otherwise, at time scale 1.
const DefaultCaseTimeout = 30 * time.Second

// stage is what the handshake settled for a case about to be played.
type stage struct {
	client  bool            // the suite is the client
	timeout time.Duration   // the case's limit, already scaled
	scale   float64         // the run's time scale, for the waits inside the case
	deflate *sessionDeflate // permessage-deflate, nil if none
	// unimplemented says why the case could not be set up (the testee
	// lacks what it needs).
	unimplemented string
}

// play runs case c on an open connection and judges it.
func play(c *Case, conn net.Conn, br *bufio.Reader, st stage) *Result {
	s := newSession(conn, br, st.client, st.scale)
	s.deflate = st.deflate
	s.unimplemented = st.unimplemented
	timeout := st.timeout
	start := time.Now()
	go s.readLoop()
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		c.Run(s)
	}()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	timedOut := false
	// Wait for the case to finish sending; a testee that stops reading
	// cannot hold the suite past the deadline.
	select {
	case <-ran:
	case <-deadline.C:
		timedOut = true
		s.kill()
		<-ran
	}
	// Then for the connection to end: by the testee, by the closing
	// handshake, by the case's kill time, or by the deadline.
	if !timedOut {
		s.mu.Lock()
		killAt := s.killAt
		s.mu.Unlock()
		var kill <-chan time.Time
		if !killAt.IsZero() {
			t := time.NewTimer(time.Until(killAt))
			defer t.Stop()
			kill = t.C
		}
		select {
		case <-s.done:
		case <-kill:
			s.kill()
		case <-deadline.C:
			timedOut = true
			s.kill()
		}
	}
	<-s.done
	r := evaluate(c, s, time.Since(start))
	if timedOut {
		r.Observed.Notes = append(r.Observed.Notes, fmt.Sprintf("the case did not finish within %v: %s", timeout, s.progressNote()))
		r.Behavior = Failed
	}
	if c.Judge != nil {
		c.Judge(s, r)
	}
	r.Result = overall(r.Behavior, r.BehaviorClose)
	return r
}

// probe runs an opening-handshake case.
func probe(c *Case, h *HandshakeProbe) *Result {
	start := time.Now()
	v, detail := c.Handshake(h)
	r := &Result{
		ID:            c.ID,
		Behavior:      v,
		BehaviorClose: OK,
		Duration:      time.Since(start).Milliseconds(),
		Description:   c.Description,
		Expectation:   c.Expectation,
	}
	if detail != "" {
		r.Observed.Notes = []string{detail}
	}
	r.Result = overall(r.Behavior, r.BehaviorClose)
	return r
}

// ServerConfig configures a run against a testee server.
type ServerConfig struct {
	URL         string        // ws://host:port/path of the testee (wss:// with HTTP2)
	Agent       string        // name the results are filed under
	Cases       []*Case       // the cases to run, from Cases(ServerMode)
	Parallel    int           // cases run at once (Serial cases always alone); 0 means DefaultParallel()
	CaseTimeout time.Duration // for cases that set no Timeout; 0 means DefaultCaseTimeout
	// TimeScale multiplies every time limit (each case's, and the waits
	// inside cases): a run under the race detector, or on a loaded or
	// slow machine, sets it above 1. Values below 1 count as 1.
	TimeScale float64
	// Progress, when set, is called after each case.
	Progress func(*Result)

	// HTTP2 opens each case's WebSocket as an extended CONNECT (RFC 8441)
	// on an HTTP/2 connection of the case's own, over TLS: URL is then
	// wss:// (or https://) and the testee must pick h2 in ALPN and
	// advertise SETTINGS_ENABLE_CONNECT_PROTOCOL. The frames of every
	// case are the same; the suite ending its stream stands for closing
	// TCP, the testee ending its stream for the testee closing TCP. The
	// opening-handshake cases (category 11) are played in their HTTP/2
	// form where they have one and are NOT APPLICABLE where they have
	// none (the HTTP/1.1 header they break does not exist in HTTP/2),
	// with the reason in their notes.
	HTTP2 bool
	// TLSConfig is the TLS configuration for the HTTP/2 connections (its
	// NextProtos are replaced by h2 and http/1.1); nil means the system's
	// roots.
	TLSConfig *tls.Config
}

// RunServer runs cfg.Cases against a testee server and returns the report.
func RunServer(ctx context.Context, cfg ServerConfig) (*Report, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, err
	}
	var h2 *h2Target
	if cfg.HTTP2 {
		if h2, err = newH2Target(u, cfg.TLSConfig); err != nil {
			return nil, err
		}
	} else if u.Scheme != "ws" {
		return nil, fmt.Errorf("conformance: testee URL must be ws://, or wss:// with HTTP2 (got %q)", cfg.URL)
	}
	rep := newReport(cfg.Agent, "server")
	rep.HTTP2 = cfg.HTTP2
	var parallel, serial []*Case
	for _, c := range cfg.Cases {
		if c.Serial {
			serial = append(serial, c)
		} else {
			parallel = append(parallel, c)
		}
	}
	runOne := func(c *Case) {
		if ctx.Err() != nil {
			return
		}
		var r *Result
		if h2 != nil {
			r = runServerCaseH2(c, h2, caseTimeout(c, cfg.CaseTimeout, cfg.TimeScale), cfg.TimeScale)
		} else {
			r = runServerCase(c, u, caseTimeout(c, cfg.CaseTimeout, cfg.TimeScale), cfg.TimeScale)
		}
		rep.add(r)
		if cfg.Progress != nil {
			cfg.Progress(r)
		}
	}
	work := make(chan *Case)
	var wg sync.WaitGroup
	workers := cfg.Parallel
	if workers <= 0 {
		workers = DefaultParallel()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				runOne(c)
			}
		}()
	}
	for _, c := range parallel {
		work <- c
	}
	close(work)
	wg.Wait()
	for _, c := range serial {
		runOne(c)
	}
	return rep, ctx.Err()
}

// DefaultParallel is how many cases a run plays at once unless told: two
// per CPU the process may use, because most cases spend their time
// waiting on the testee or on a timer, not computing.
func DefaultParallel() int { return 2 * runtime.GOMAXPROCS(0) }

// caseTimeout is the limit of case c: its own, else the runner's, else
// DefaultCaseTimeout, times the time scale.
func caseTimeout(c *Case, runner time.Duration, scale float64) time.Duration {
	d := DefaultCaseTimeout
	switch {
	case c.Timeout > 0:
		d = c.Timeout
	case runner > 0:
		d = runner
	}
	return scaleDuration(d, scale)
}

// scaleDuration is d times scale (values below 1 count as 1).
func scaleDuration(d time.Duration, scale float64) time.Duration {
	return time.Duration(float64(d) * max(scale, 1))
}

func runServerCase(c *Case, u *url.URL, timeout time.Duration, scale float64) *Result {
	if c.Handshake != nil {
		return probe(c, &HandshakeProbe{mode: ServerMode, url: u, timeout: handshakeTimeout(timeout, scale), scale: scale})
	}
	return playServerCase(c, timeout, scale, func(d time.Duration, offers []string) (net.Conn, *bufio.Reader, string, error) {
		return dialTestee(u, d, offers)
	})
}

// handshakeTimeout bounds an opening handshake: the case's limit, at
// most 10s (times the time scale).
func handshakeTimeout(timeout time.Duration, scale float64) time.Duration {
	return min(timeout, scaleDuration(10*time.Second, scale))
}

// dialFunc opens a WebSocket to the testee server within timeout,
// offering the given extensions, and returns the extensions the server
// accepted (dialTestee over HTTP/1.1, h2Target.dial over HTTP/2).
type dialFunc func(timeout time.Duration, offers []string) (net.Conn, *bufio.Reader, string, error)

// playServerCase opens case c's WebSocket with dial, checks the
// extensions the testee accepted against the case's offers, and plays
// the case.
func playServerCase(c *Case, timeout time.Duration, scale float64, dial dialFunc) *Result {
	var offers []string
	if c.Deflate != nil {
		for _, o := range c.Deflate.Offers {
			offers = append(offers, offerHeader(o))
		}
	}
	conn, br, exts, err := dial(handshakeTimeout(timeout, scale), offers)
	if err != nil {
		return &Result{
			ID: c.ID, Behavior: Failed, BehaviorClose: Failed, Result: Failed,
			Description: c.Description, Expectation: c.Expectation,
			Observed: Observed{Notes: []string{"could not open a WebSocket connection: " + err.Error()}},
		}
	}
	var dfl *sessionDeflate
	unimpl := ""
	if c.Deflate != nil {
		if exts == "" {
			unimpl = "the server accepted none of the permessage-deflate offers"
		} else if dfl, err = checkServerAnswer(exts, c.Deflate.Offers); err != nil {
			conn.Close()
			return &Result{
				ID: c.ID, Behavior: Failed, BehaviorClose: OK, Result: Failed,
				Description: c.Description, Expectation: c.Expectation,
				Observed: Observed{Notes: []string{"invalid permessage-deflate answer " + exts + ": " + err.Error()}},
			}
		}
	} else if exts != "" {
		conn.Close()
		return &Result{
			ID: c.ID, Behavior: Failed, BehaviorClose: OK, Result: Failed,
			Description: c.Description, Expectation: c.Expectation,
			Observed: Observed{Notes: []string{"the server accepted extensions the suite did not offer: " + exts}},
		}
	}
	return play(c, conn, br, stage{client: true, timeout: timeout, scale: scale, deflate: dfl, unimplemented: unimpl})
}
