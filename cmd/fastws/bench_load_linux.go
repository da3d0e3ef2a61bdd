package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fastws/fastws/internal/loadgen"
)

// runLoad opens the connections, warms up, measures, and returns the
// report. The load is internal/loadgen's: the bench module's generator.
func runLoad(ctx context.Context, f *benchFlags, ext string, prog progress) (*benchReport, error) {
	addr, host, path := f.target()
	cfg := loadgen.Config{
		Addr: addr, Host: host, Path: path,
		Conns: f.conns, Text: !f.binary, Loops: f.loops, DialTimeout: f.timeout,
		Compress: f.compress, Rate: f.rate, KeepGoing: true, ConnectRate: f.ramp,
		// Messages are compressed once, in advance, with a 15-bit window:
		// an offer without client_max_window_bits keeps a server from
		// asking for less.
		Offer: "permessage-deflate; client_no_context_takeover",
	}
	if seq := f.sizes.sequence(); len(seq) == 1 {
		cfg.Size = seq[0]
	} else {
		cfg.Sizes = seq
	}
	var open atomic.Int64
	lastShown := time.Now()
	cfg.OnConnect = func(n int) {
		open.Store(int64(n))
		if now := time.Now(); now.Sub(lastShown) >= 200*time.Millisecond {
			lastShown = now
			prog(liveStatus{phase: "connecting", open: n, want: f.conns})
		}
	}
	c, err := loadgen.Connect(cfg)
	if err != nil {
		prog(liveStatus{})
		return nil, fmt.Errorf("opening the connections: %v", innermost(err))
	}
	defer c.Close()

	limit := 0
	maxRun := f.warmup + f.duration + time.Minute
	if f.messages > 0 {
		n := int(open.Load())
		limit = (f.messages + n - 1) / n
		maxRun = 24 * time.Hour
	}
	m := &meter{c: c, prog: prog, want: f.conns}
	var before time.Duration
	var start time.Time
	record := func() {
		before, start = cpuTime(), time.Now()
		c.SetRecording(true)
	}
	// Without a warm-up every echo counts, the first ones included:
	// recording starts before the loops do.
	if f.warmup == 0 {
		record()
	}
	if err := c.Start(limit, maxRun); err != nil {
		return nil, err
	}
	if f.warmup > 0 {
		m.phase(ctx, "warming up", f.warmup, nil)
		record()
	}
	if f.messages > 0 {
		m.phase(ctx, "measuring", 0, c.Done())
	} else {
		m.phase(ctx, "measuring", f.duration, c.Done())
	}
	c.SetRecording(false)
	window := time.Since(start)
	cpu := cpuTime() - before
	prog(liveStatus{})
	stopErr := c.Stop()
	rep := newBenchReport(f, ext, c.Progress(), c.Wire(), window, cpu)
	if stopErr != nil {
		rep.addError("generator", innermost(stopErr))
	}
	return rep, nil
}

// meter runs a phase of the load, updating the progress line twice a
// second with the rate since the last update.
type meter struct {
	c        *loadgen.Client
	prog     progress
	want     int
	lastMsgs uint64
	lastAt   time.Time
}

// phase lasts d (0: until done closes), or until done closes or ctx ends.
func (m *meter) phase(ctx context.Context, name string, d time.Duration, done <-chan struct{}) {
	start := time.Now()
	var end <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		end = t.C
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	m.lastAt, m.lastMsgs = start, m.c.Progress().Messages
	for {
		select {
		case <-end:
			return
		case <-done:
			return
		case <-ctx.Done():
			return
		case now := <-tick.C:
			p := m.c.Progress()
			var errs uint64
			for _, n := range p.Errors {
				errs += n
			}
			// While warming up nothing is recorded: the rate shown is
			// then 0 until the window opens.
			rate := float64(p.Messages-m.lastMsgs) / now.Sub(m.lastAt).Seconds()
			m.lastAt, m.lastMsgs = now, p.Messages
			m.prog(liveStatus{phase: name, open: p.Open, want: m.want, rate: rate,
				p50: p.Latency.Quantile(0.5), p99: p.Latency.Quantile(0.99), errors: errs,
				elapsed: now.Sub(start), total: d})
		}
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
