package fanout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"golang.org/x/sys/unix"
)

// Bounds on the parts of a run that wait on a server.
const (
	// subscribeTimeout bounds the wait for the servers to report every
	// subscriber subscribed.
	subscribeTimeout = 20 * time.Second
	// drainTimeout bounds the wait, after a cell's publisher stops, for
	// what it published to reach every subscriber. What has not by then
	// counts as lost, the row says the drain timed out, and the session
	// ends there: its backlog would spill into the next cell.
	drainTimeout = 10 * time.Second
	// stopTimeout bounds the wait for the publisher to stop.
	stopTimeout = pubWriteTimeout + 5*time.Second
	// fileHeadroom is the descriptors a process needs beyond its
	// connections.
	fileHeadroom = 64
)

// Timing is how long each cell runs.
type Timing struct {
	Warmup   time.Duration // publishing before the measured window
	Duration time.Duration // the measured window
}

// Cell is one measurement: messages of Size bytes, published at Rate
// messages per second, or at full speed (Rate 0) with at most Window
// outstanding.
type Cell struct {
	Size   int
	Rate   float64
	Window int
}

// Full reports whether the cell publishes at full speed.
func (c Cell) Full() bool { return c.Rate <= 0 }

func (c Cell) String() string {
	if c.Full() {
		return fmt.Sprintf("%s full speed (window %d)", FormatSize(c.Size), c.Window)
	}
	return fmt.Sprintf("%s at %g msgs/s", FormatSize(c.Size), c.Rate)
}

// NodeRow is what the subscribers of one server process received.
type NodeRow struct {
	Subscribers int
	Deliveries  uint64
	MsgsPerSec  float64
	P50, P99    time.Duration
	Lost        int64
}

// Row is one server's result in one cell.
type Row struct {
	Server      string
	Cell        Cell
	Subscribers int // at the start of the cell
	Stalled     bool

	Deliveries uint64        // messages received by the subscribers in the window
	Elapsed    time.Duration // the window
	MsgsPerSec float64       // Deliveries / Elapsed
	PubPerSec  float64       // messages published in the window / Elapsed
	P50, P99   time.Duration // publish to receipt, every delivery in the window
	Nodes      []NodeRow     // per server process, when there are several
	// WireRatio is the payload bytes the subscribers received / the
	// bytes of the messages delivered: below 1 with compression.
	WireRatio float64

	ServerCPU   time.Duration // server CPU (all its processes) per delivery
	ServerCores float64       // that CPU / Elapsed
	SysShare    float64       // the share of it that is system time (the kernel's work for the server)
	ExtraCPU    time.Duration // the NATS server's CPU per delivery, on the multi-node rows
	// ClientCores is this process's CPU over the window / Elapsed: the
	// subscribers' loops and the publisher. Near 1 per subscriber loop,
	// the bench and not the server sets the pace.
	ClientCores float64

	// Allocations of the server processes (runtime.MemStats.Mallocs and
	// TotalAlloc) over the window, less what reading them costs, per
	// delivery and per message published; AllocsOK is false when they
	// could not be read.
	AllocsPerDelivery float64
	AllocsPerPublish  float64
	BytesPerDelivery  float64
	GCs               uint32
	AllocsOK          bool

	Loss      losses
	Skipped   int64 // fixed-rate ticks the publisher skipped
	Abandoned int64 // messages the window stopped waiting for
	// ServerDropped is what the server gave up on for slow subscribers
	// in the window (serverStats.Dropped), in DroppedUnit.
	ServerDropped int64
	DroppedUnit   string
	ServerQueued  int64 // bytes queued at the window's end, where the server says
	// ServerDelivered is the servers' count of messages handed to a
	// subscriber's queue in the window (fastws's hub), for a loss.
	ServerDelivered int64
	// StalledState says where the stalled subscriber's backlog was after
	// the fill and at the window's end (stalled rows).
	StalledState []string
	Relay        map[string]int64 // the NATS bridges' counters over the window, both nodes

	// Gaps counts the jumps in the sequence the subscribers saw (each
	// one or more messages that never came), GapNotes the first few.
	Gaps     int
	GapNotes []string
	ErrCount int      // subscribers that failed, and other errors
	Errors   []string // the first few
	Err      error    // the measurement failed
	Runs     int      // runs merged into the row (medians)
	P99Min   time.Duration
	P99Max   time.Duration
}

// session is a set of server processes with their subscribers and the
// publisher, open for several cells.
type session struct {
	name    string
	procs   []*serverProcess
	extra   *serverProcess // the NATS server, in multi-node sessions
	subs    *subscribers
	pub     *publisher
	stalled net.Conn
	// fillState is where the stalled subscriber's backlog was after the
	// fill.
	fillState string
	stalledIn int   // 1 while the server keeps the stalled subscriber subscribed
	broken    error // a cell left the publisher unusable
	cellSize  int   // the message size of the cell being measured
}

// stall describes the stalled subscriber of a session: it connects
// first, with SO_RCVBUF rcvbuf (and stalledMSS), and is sent fill bytes of
// 1 KiB messages while it is the only subscriber, before the others
// connect; so the server holds a backlog for it when the cells start,
// without the cost of publishing that much to everyone.
type stall struct {
	rcvbuf int
	fill   int
}

// fillSize is the size of the messages that fill the stalled subscriber.
const fillSize = 1 << 10

// openSession starts nodes processes of the server called name, opens the
// stalled subscriber and fills it if st is set, then opens n subscribers
// spread over the processes and the publisher on the first, and waits
// until every subscriber is subscribed.
func openSession(o *Options, name string, nodes, n int, natsURL string, st *stall) (*session, error) {
	if err := checkFileLimit(n + 2); err != nil {
		return nil, fmt.Errorf("bench process: %w", err)
	}
	s := &session{name: name}
	fail := func(err error) (*session, error) {
		s.close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for range nodes {
		p, err := startServer(o.Command, name, natsURL)
		if err != nil {
			s.close()
			return nil, err
		}
		s.procs = append(s.procs, p)
		if p.nofile < uint64(n/nodes+fileHeadroom) {
			return fail(fmt.Errorf("server RLIMIT_NOFILE is %d, too low for %d connections", p.nofile, n/nodes))
		}
	}
	pub, err := newPublisher(s.procs[0].addr, IsCompressed(name))
	if err != nil {
		return fail(err)
	}
	s.pub = pub
	if st != nil {
		if err := s.addStalled(st); err != nil {
			return fail(err)
		}
	}
	addrs := make([]string, nodes)
	for i, p := range s.procs {
		addrs[i] = p.addr
	}
	subs, err := connectSubscribers(addrs, n, o.Loops, s.pub.next, IsCompressed(name))
	if err != nil {
		return fail(err)
	}
	s.subs, s.pub.subs = subs, subs
	if err := s.waitSubscribed(n + s.stalledIn); err != nil {
		return fail(err)
	}
	subs.start()
	return s, nil
}

// waitSubscribed waits until the servers report n subscribers in all.
func (s *session) waitSubscribed(n int) error {
	deadline := time.Now().Add(subscribeTimeout)
	for {
		total := int64(0)
		var err error
		for _, p := range s.procs {
			st, e := p.stats()
			if e != nil {
				err = e
				break
			}
			total += st.Subscribers
		}
		if err == nil && total == int64(n) {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return err
			}
			return fmt.Errorf("%d of %d subscribers subscribed after %v", total, n, subscribeTimeout)
		}
		if err := s.alive(); err != nil {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// addStalled opens the stalled subscriber, subscribed like the others and
// never read, and fills it: the publisher sends st.fill bytes of messages,
// which reach it alone, and the server must have published them all
// before the others connect.
func (s *session) addStalled(st *stall) error {
	nc, _, err := dial(s.procs[0].addr, subscribePath, st.rcvbuf, "")
	if err != nil {
		return fmt.Errorf("stalled subscriber: %w", err)
	}
	s.stalled = nc
	if err := s.waitSubscribed(1); err != nil {
		return err
	}
	count := max(st.fill/fillSize, 1)
	if err := s.pub.fill(count, fillSize); err != nil {
		return err
	}
	deadline := time.Now().Add(subscribeTimeout)
	for {
		stats, err := s.procs[0].stats()
		if err != nil {
			return err
		}
		if stats.Published >= int64(count) {
			// The server may drop the stalled subscriber as the fill
			// overflows its queue (gorilla's hub does): a moment for
			// that to finish, then its count says whether it is still
			// subscribed.
			time.Sleep(200 * time.Millisecond)
			if stats, err = s.procs[0].stats(); err != nil {
				return err
			}
			s.stalledIn = int(stats.Subscribers)
			s.fillState = "after the fill: " + s.stalledState(stats)
			if s.stalledIn == 0 {
				s.fillState += " (the stalled subscriber is gone)"
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server published %d of the %d fill messages in %v", stats.Published, count, subscribeTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stalledState describes where the stalled subscriber's backlog is: its
// own receive buffer, the server's kernel send buffer for it, and what
// the server says it dropped, or holds for all its subscribers.
func (s *session) stalledState(st serverStats) string {
	srvQueue := "?"
	if n, err := sendQueue(s.procs[0].addr, s.stalled.LocalAddr().String()); err == nil {
		srvQueue = kib(int64(n))
	}
	out := fmt.Sprintf("%s in its receive buffer, %s in the server's kernel send buffer", kib(int64(s.stalledQueue())), srvQueue)
	if st.DroppedUnit != "" {
		out += fmt.Sprintf(", %d %s dropped", st.Dropped, st.DroppedUnit)
	}
	if st.Queued > 0 {
		out += fmt.Sprintf(", server queues %s (all subscribers)", kib(st.Queued))
	}
	return out
}

// stalledQueue returns the bytes waiting in the stalled subscriber's
// receive buffer.
func (s *session) stalledQueue() int {
	if s.stalled == nil {
		return 0
	}
	raw, err := s.stalled.(*net.TCPConn).SyscallConn()
	if err != nil {
		return -1
	}
	n := -1
	_ = raw.Control(func(fd uintptr) {
		if v, err := unix.IoctlGetInt(int(fd), unix.SIOCINQ); err == nil {
			n = v
		}
	})
	return n
}

func (s *session) close() {
	if s.pub != nil {
		s.pub.close()
	}
	if s.stalled != nil {
		abortConn(s.stalled)
	}
	if s.subs != nil {
		s.subs.close()
	}
	for _, p := range s.procs {
		p.stop()
	}
}

// alive returns an error if a server process has exited.
func (s *session) alive() error {
	for _, p := range s.procs {
		if err := p.alive(); err != nil {
			return err
		}
	}
	if s.extra != nil {
		return s.extra.alive()
	}
	return nil
}

// cpuTimes is what the server processes have used so far.
type cpuTimes struct {
	user, sys time.Duration // the WebSocket servers, together
	extra     time.Duration // the NATS server, user + system
}

// cpu returns the CPU time of the server processes, and of the extra
// (NATS) process.
func (s *session) cpu() (cpuTimes, error) {
	var t cpuTimes
	for _, p := range s.procs {
		u, sys, err := p.cpu()
		if err != nil {
			return t, err
		}
		t.user += u
		t.sys += sys
	}
	if s.extra != nil {
		u, sys, err := s.extra.cpu()
		if err != nil {
			return t, err
		}
		t.extra = u + sys
	}
	return t, nil
}

// allStats reads every server process's counters.
func (s *session) allStats() ([]serverStats, error) {
	var all []serverStats
	for _, p := range s.procs {
		st, err := p.stats()
		if err != nil {
			return nil, err
		}
		all = append(all, st)
	}
	return all, nil
}

// sleep waits d, returning early with an error if a server exits or the
// publisher stops on an error.
func (s *session) sleep(d time.Duration, r *pubRun) error {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-t.C:
			return s.alive()
		case <-tick.C:
			if err := s.alive(); err != nil {
				return err
			}
			if err := s.pub.closed(); err != nil {
				return fmt.Errorf("%s: the server closed the publisher's connection: %v", s.name, err)
			}
		case res := <-r.done:
			r.done <- res // for the stop
			if res.err != nil {
				return res.err
			}
			return errors.New("the publisher stopped early")
		}
	}
}

// runCell measures one cell on the open session: warm-up, then the
// window, then the drain, in which the publisher is stopped and what it
// published is given time to arrive. profile, if set, is where a CPU
// profile of the first server process over the window goes.
func (s *session) runCell(cell Cell, timing Timing, profile string) Row {
	row := Row{Server: s.name, Cell: cell, Subscribers: int(s.subs.live.Load()), Stalled: s.stalled != nil}
	if s.broken != nil {
		row.Err = fmt.Errorf("an earlier cell broke the session: %w", s.broken)
		return row
	}
	subs := s.subs
	subs.recording.Store(false)
	subs.setSize(s.pub.next, cell.Size)
	s.cellSize = cell.Size
	subs.resetRange()
	subs.take()
	run := s.pub.start(plan{size: cell.Size, rate: cell.Rate, window: cell.Window})
	res, err := s.measure(run, timing, profile, &row)
	if err == nil {
		err = res.err
	}
	if err != nil {
		row.Err = err
		// The publisher may have stopped mid-frame, or messages may
		// still be on their way: the next cell needs a fresh session.
		if s.broken == nil {
			s.broken = err
		}
	}
	return row
}

// measure runs the window of a cell whose publisher is running, and
// fills in row.
func (s *session) measure(run *pubRun, timing Timing, profile string, row *Row) (res pubResult, err error) {
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		run.stop()
		select {
		case res = <-run.done:
			return nil
		case <-time.After(stopTimeout):
			s.broken = errors.New("the publisher did not stop")
			return s.broken
		}
	}
	// On an early return the publisher is stopped too, and its result
	// (a write error, say) is what the caller gets in res.
	defer func() { _ = stop() }()
	subs := s.subs
	if err := s.sleep(timing.Warmup, run); err != nil {
		return res, err
	}
	// Two readings back to back: the second's allocations less the
	// first's are what one reading costs the server, which the window's
	// count, taken between two readings, would otherwise include.
	stPre, statsErr := s.allStats()
	st0, err := s.allStats()
	if statsErr == nil {
		statsErr = err
	}
	cpu0, err := s.cpu()
	if err != nil {
		return res, err
	}
	self0, err := procstat.SelfCPUTime()
	if err != nil {
		return res, err
	}
	var profWG sync.WaitGroup
	var profErr error
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if profile != "" {
		// The allocation profile is brought up to date by a collection
		// only, so it is read, after one, at both ends of the window:
		// go tool pprof -sample_index=alloc_objects -base X.heap0.pprof X.heap1.pprof
		// gives the window's allocations.
		if err := s.procs[0].profile(ctx, "heap?gc=1", 0, profile+".heap0.pprof"); err != nil {
			row.Errors = append(row.Errors, "allocation profile: "+err.Error())
		}
		defer func() {
			if err := s.procs[0].profile(ctx, "heap?gc=1", 0, profile+".heap1.pprof"); err != nil {
				row.Errors = append(row.Errors, "allocation profile: "+err.Error())
			}
		}()
		profWG.Go(func() { profErr = s.procs[0].profile(ctx, "profile", timing.Duration, profile+".cpu.pprof") })
	}
	subs.take() // the warm-up's
	t0 := time.Now()
	subs.recording.Store(true)
	run.beginWindow()
	err = s.sleep(timing.Duration, run)
	subs.recording.Store(false)
	elapsed := time.Since(t0)
	if err != nil {
		return res, err
	}
	cpu1, err := s.cpu()
	if err != nil {
		return res, err
	}
	self1, err := procstat.SelfCPUTime()
	if err != nil {
		return res, err
	}
	st1, err := s.allStats()
	if statsErr == nil {
		statsErr = err
	}
	if s.stalled != nil {
		row.StalledState = []string{s.fillState}
		if statsErr == nil {
			row.StalledState = append(row.StalledState, "at the end: "+s.stalledState(st1[0]))
		}
	}
	if err := stop(); err != nil {
		return res, err
	}
	end := s.pub.next
	drained := subs.drain(end, drainTimeout)
	if !drained {
		s.broken = fmt.Errorf("what the cell published had not all arrived %v after it", drainTimeout)
	}
	c := subs.take()
	profWG.Wait()
	if profErr != nil {
		row.Errors = append(row.Errors, "profile: "+profErr.Error())
	}

	start, stopAt := subs.rangeStart.Load(), subs.rangeEnd.Load()
	expected := max(stopAt-start, 0)
	row.Loss = subs.losses(expected)
	row.Loss.DrainTimedOut = !drained
	row.Skipped, row.Abandoned = res.skipped, res.abandoned
	row.ErrCount, row.Errors = c.errCount, append(row.Errors, c.errs...)
	row.Gaps, row.GapNotes = c.gapCount, c.gaps
	if c.loopErr != nil {
		return res, c.loopErr
	}
	row.Elapsed = elapsed
	var hist = c.nodes[0].hist
	for i := 1; i < s.subs.nodes; i++ {
		hist.Merge(&c.nodes[i].hist)
	}
	var wire uint64
	for i := range s.subs.nodes {
		row.Deliveries += c.nodes[i].deliveries
		wire += c.nodes[i].wire
	}
	if row.Deliveries == 0 {
		return res, fmt.Errorf("%s: no delivery in %v", s.name, elapsed)
	}
	secs := elapsed.Seconds()
	row.MsgsPerSec = float64(row.Deliveries) / secs
	row.WireRatio = float64(wire) / float64(row.Deliveries) / float64(s.cellSize)
	row.PubPerSec = float64(expected) / secs
	row.P50, row.P99 = hist.Quantile(0.50), hist.Quantile(0.99)
	if s.subs.nodes > 1 {
		for i := range s.subs.nodes {
			n := &c.nodes[i]
			row.Nodes = append(row.Nodes, NodeRow{
				Subscribers: row.Subscribers / s.subs.nodes, Deliveries: n.deliveries,
				MsgsPerSec: float64(n.deliveries) / secs,
				P50:        n.hist.Quantile(0.50), P99: n.hist.Quantile(0.99),
				Lost: row.Loss.PerNode[i],
			})
		}
	}
	used := cpu1.user + cpu1.sys - cpu0.user - cpu0.sys
	row.ServerCPU = used / time.Duration(row.Deliveries)
	row.ServerCores = used.Seconds() / secs
	if used > 0 {
		row.SysShare = float64(cpu1.sys-cpu0.sys) / float64(used)
	}
	row.ClientCores = (self1 - self0).Seconds() / secs
	if s.extra != nil {
		row.ExtraCPU = (cpu1.extra - cpu0.extra) / time.Duration(row.Deliveries)
	}
	if statsErr != nil {
		row.Errors = append(row.Errors, "allocations not read: "+statsErr.Error())
		return res, nil
	}
	var mallocs, bytes uint64
	for i := range st1 {
		overhead := st0[i].Mallocs - stPre[i].Mallocs
		mallocs += max(st1[i].Mallocs-st0[i].Mallocs, overhead) - overhead
		bytes += st1[i].TotalAlloc - st0[i].TotalAlloc
		row.GCs += st1[i].NumGC - st0[i].NumGC
		row.ServerDropped += st1[i].Dropped - st0[i].Dropped
		row.DroppedUnit = st1[i].DroppedUnit
		row.ServerQueued += st1[i].Queued
		row.ServerDelivered += st1[i].Delivered - st0[i].Delivered
		for k, v := range st1[i].Relay {
			if row.Relay == nil {
				row.Relay = map[string]int64{}
			}
			row.Relay[k] += v - st0[i].Relay[k]
		}
	}
	row.AllocsOK = true
	row.AllocsPerDelivery = float64(mallocs) / float64(row.Deliveries)
	row.BytesPerDelivery = float64(bytes) / float64(row.Deliveries)
	if expected > 0 {
		row.AllocsPerPublish = float64(mallocs) / float64(expected)
	}
	return res, nil
}

// drain waits until every message before end has reached every live
// subscriber, or timeout; it reports whether they all did.
func (s *subscribers) drain(end int64, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	t := time.NewTimer(recheck)
	defer t.Stop()
	for s.advance(end) < end {
		if time.Now().After(deadline) {
			return false
		}
		t.Reset(recheck)
		select {
		case <-s.notify:
		case <-t.C:
		}
	}
	return true
}

// checkFileLimit reports whether this process may open n more
// descriptors.
func checkFileLimit(n int) error {
	limit, err := procstat.RaiseFileLimit()
	if err != nil {
		return err
	}
	if limit < uint64(n+fileHeadroom) {
		return fmt.Errorf("RLIMIT_NOFILE is %d, too low for %d connections", limit, n)
	}
	return nil
}

// Options configures a run.
type Options struct {
	Servers     []string // the main table's, in order
	Subscribers int      // per run, all nodes together
	Sizes       []int    // message sizes
	Rate        float64  // the fixed rate, messages per second
	Window      int      // full speed: messages outstanding at most
	Timing      Timing
	Rounds      int  // runs of every cell per server; rows give medians
	Loops       int  // subscriber event loops
	Stalled     bool // the stalled-subscriber cells
	// StalledRcvbuf is the stalled subscriber's SO_RCVBUF, StalledFill
	// the bytes sent to it alone before the other subscribers connect.
	StalledRcvbuf int
	StalledFill   int
	// NATS runs the multi-node section: NATSNodes processes of
	// FastwsNATS joined through a NATS server process.
	NATS      bool
	NATSNodes int
	Command   Command
	// ProfileDir, if set, gets CPU and allocation profiles of every
	// window of fastws's servers (the first node's, on several).
	ProfileDir string
	Progress   io.Writer
}

// Cells returns the main table's cells: each size at the fixed rate and
// at full speed.
func (o *Options) Cells() []Cell {
	var cells []Cell
	for _, size := range o.Sizes {
		cells = append(cells, Cell{Size: size, Rate: o.Rate}, Cell{Size: size, Window: o.Window})
	}
	return cells
}

// StalledCells returns the stalled-subscriber cells: each size at the
// fixed rate.
func (o *Options) StalledCells() []Cell {
	var cells []Cell
	for _, size := range o.Sizes {
		cells = append(cells, Cell{Size: size, Rate: o.Rate})
	}
	return cells
}

// Report is everything a run measured.
type Report struct {
	Start, End time.Time
	LoadStart  string // the load average when the run started
	Opts       Options
	// Rows are the main table's, per cell then per server (medians
	// over rounds); Stalled the stalled cells', clean beside stalled;
	// NATS the multi-node rows, one per cell.
	Rows    map[string]map[Cell]Row
	Stalled map[string]map[Cell]Row
	NATS    map[Cell]Row
	// NATSErr is why the multi-node section did not run.
	NATSErr error
}

// Run measures every server in every cell, round after round (each round
// starting one server further along), then the multi-node section.
func Run(o Options) *Report {
	rep := &Report{Start: time.Now(), LoadStart: loadAverage(), Opts: o, Rows: map[string]map[Cell]Row{}, Stalled: map[string]map[Cell]Row{}}
	runs := map[string]map[Cell][]Row{}
	stalledRuns := map[string]map[Cell][]Row{}
	for _, name := range o.Servers {
		runs[name], stalledRuns[name] = map[Cell][]Row{}, map[Cell][]Row{}
	}
	rounds := max(o.Rounds, 1)
	for round := range rounds {
		for i := range o.Servers {
			name := o.Servers[(i+round)%len(o.Servers)]
			for _, row := range runServer(&o, name, round) {
				if row.Stalled {
					stalledRuns[name][row.Cell] = append(stalledRuns[name][row.Cell], row)
				} else {
					runs[name][row.Cell] = append(runs[name][row.Cell], row)
				}
			}
		}
	}
	for _, name := range o.Servers {
		rep.Rows[name], rep.Stalled[name] = map[Cell]Row{}, map[Cell]Row{}
		for cell, rs := range runs[name] {
			rep.Rows[name][cell] = medianRow(rs)
		}
		for cell, rs := range stalledRuns[name] {
			rep.Stalled[name][cell] = medianRow(rs)
		}
	}
	if o.NATS {
		rep.NATS, rep.NATSErr = runNATS(&o)
	}
	rep.End = time.Now()
	return rep
}

// runServer is one round of one server: a session for the main cells,
// then, in a fresh process, a session with the stalled subscriber for the
// stalled cells.
func runServer(o *Options, name string, round int) []Row {
	var rows []Row
	cells := func(st *stall, list []Cell) {
		fail := func(err error) {
			for _, c := range list {
				rows = append(rows, Row{Server: name, Cell: c, Stalled: st != nil, Err: err})
			}
			progress(o.Progress, "%-12s round %d: %v", name, round+1, err)
		}
		t := time.Now()
		s, err := openSession(o, name, 1, o.Subscribers, "", st)
		if err != nil {
			fail(err)
			return
		}
		defer s.close()
		what := ""
		if st != nil {
			what = " (and the stalled subscriber, " + s.fillState + ")"
		}
		progress(o.Progress, "%-12s round %d: %d subscribers connected and subscribed in %v%s", name, round+1, o.Subscribers, time.Since(t).Round(time.Millisecond), what)
		for _, cell := range list {
			row := s.runCell(cell, o.Timing, profilePath(o, name, cell, round, st != nil))
			label := cell.String()
			if st != nil {
				label += " +stalled"
			}
			progress(o.Progress, "%-12s %-28s %s", name, label, summary(row))
			rows = append(rows, row)
		}
	}
	cells(nil, o.Cells())
	if o.Stalled {
		cells(&stall{rcvbuf: o.StalledRcvbuf, fill: o.StalledFill}, o.StalledCells())
	}
	return rows
}

// profilePath is where the profiles of a window of one of fastws's
// servers go (the path without its suffix), or "" when none are taken.
func profilePath(o *Options, name string, cell Cell, round int, stalled bool) string {
	if o.ProfileDir == "" || !IsFastws(name) {
		return ""
	}
	prefix := ""
	if stalled {
		prefix = "stalled-"
	}
	mode := fmt.Sprintf("%gps", cell.Rate)
	if cell.Full() {
		mode = "full"
	}
	return filepath.Join(o.ProfileDir, fmt.Sprintf("%s-%s%s-%s-r%d", name, prefix, FormatSize(cell.Size), mode, round+1))
}

// runNATS is the multi-node section: a NATS server process, NATSNodes
// processes of FastwsNATS joined through it, the subscribers spread
// evenly over them and the publisher on the first; every main cell once.
func runNATS(o *Options) (map[Cell]Row, error) {
	ns, err := startServer(o.Command, natsServerName, "")
	if err != nil {
		return nil, fmt.Errorf("NATS server: %w", err)
	}
	defer ns.stop()
	url := "nats://" + ns.addr
	t := time.Now()
	s, err := openSession(o, FastwsNATS, max(o.NATSNodes, 2), o.Subscribers, url, nil)
	if err != nil {
		return nil, err
	}
	defer s.close()
	s.extra = ns
	progress(o.Progress, "%-12s %d nodes, %d subscribers connected and subscribed in %v", FastwsNATS, len(s.procs), o.Subscribers, time.Since(t).Round(time.Millisecond))
	rows := map[Cell]Row{}
	for _, cell := range o.Cells() {
		row := s.runCell(cell, o.Timing, profilePath(o, FastwsNATS, cell, 0, false))
		progress(o.Progress, "%-12s %-28s %s", FastwsNATS, cell, summary(row))
		for i, n := range row.Nodes {
			progress(o.Progress, "%-12s   node %d: %s msgs/s  p50 %s  p99 %s  lost %d", "", i+1,
				formatCount(n.MsgsPerSec), formatLatency(n.P50), formatLatency(n.P99), n.Lost)
		}
		rows[cell] = row
	}
	return rows, nil
}

// medianRow merges one server's runs of a cell: the median of each
// column, taken separately, and the range of p99. A failed run fails the
// row.
func medianRow(runs []Row) Row {
	for _, r := range runs {
		if r.Err != nil {
			r.Runs = len(runs)
			return r
		}
	}
	row := runs[len(runs)/2]
	row.Runs = len(runs)
	f := func(get func(Row) float64) float64 {
		v := make([]float64, len(runs))
		for i, r := range runs {
			v[i] = get(r)
		}
		slices.Sort(v)
		if n := len(v); n%2 == 0 {
			return (v[n/2-1] + v[n/2]) / 2
		}
		return v[len(v)/2]
	}
	d := func(get func(Row) time.Duration) time.Duration {
		return time.Duration(f(func(r Row) float64 { return float64(get(r)) }))
	}
	row.MsgsPerSec = f(func(r Row) float64 { return r.MsgsPerSec })
	row.PubPerSec = f(func(r Row) float64 { return r.PubPerSec })
	row.ServerCores = f(func(r Row) float64 { return r.ServerCores })
	row.SysShare = f(func(r Row) float64 { return r.SysShare })
	row.ClientCores = f(func(r Row) float64 { return r.ClientCores })
	row.AllocsPerDelivery = f(func(r Row) float64 { return r.AllocsPerDelivery })
	row.AllocsPerPublish = f(func(r Row) float64 { return r.AllocsPerPublish })
	row.BytesPerDelivery = f(func(r Row) float64 { return r.BytesPerDelivery })
	row.WireRatio = f(func(r Row) float64 { return r.WireRatio })
	row.P50 = d(func(r Row) time.Duration { return r.P50 })
	row.P99 = d(func(r Row) time.Duration { return r.P99 })
	row.ServerCPU = d(func(r Row) time.Duration { return r.ServerCPU })
	row.P99Min, row.P99Max = runs[0].P99, runs[0].P99
	var lost, skipped, abandoned, dropped int64
	var errs int
	for _, r := range runs {
		row.P99Min, row.P99Max = min(row.P99Min, r.P99), max(row.P99Max, r.P99)
		row.AllocsOK = row.AllocsOK && r.AllocsOK
		lost += r.Loss.Lost
		skipped += r.Skipped
		abandoned += r.Abandoned
		dropped += r.ServerDropped
		errs += r.ErrCount
		if r.Loss.DrainTimedOut {
			row.Loss.DrainTimedOut = true
		}
		row.Loss.Failed = max(row.Loss.Failed, r.Loss.Failed)
		row.Loss.MaxLost = max(row.Loss.MaxLost, r.Loss.MaxLost)
		row.Loss.Lossy = max(row.Loss.Lossy, r.Loss.Lossy)
		if len(row.Errors) < maxErrors {
			row.Errors = append(row.Errors, r.Errors...)
		}
	}
	// Losses, skips and errors are summed over the runs: one is
	// worth seeing whichever run it happened in.
	row.Loss.Lost, row.Skipped, row.Abandoned, row.ServerDropped, row.ErrCount = lost, skipped, abandoned, dropped, errs
	row.Errors = slices.Compact(row.Errors)
	return row
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// summary is a row on one line, for the progress output.
func summary(r Row) string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	s := fmt.Sprintf("%s deliveries/s (published %s/s)  p50 %s  p99 %s  server %.3f µs/delivery (%.2f cores, %.0f%% system)  bench %.2f cores",
		formatCount(r.MsgsPerSec), formatCount(r.PubPerSec), formatLatency(r.P50), formatLatency(r.P99),
		micros(r.ServerCPU), r.ServerCores, 100*r.SysShare, r.ClientCores)
	if r.AllocsOK {
		s += fmt.Sprintf("  %.4f allocs/delivery (%.1f/publish)", r.AllocsPerDelivery, r.AllocsPerPublish)
	}
	if r.ExtraCPU > 0 {
		s += fmt.Sprintf("  NATS server %.3f µs/delivery", micros(r.ExtraCPU))
	}
	if r.Loss.Lost > 0 || r.Loss.Failed > 0 || r.Loss.DrainTimedOut {
		s += fmt.Sprintf("  LOST %d of %d×%d (%d subscribers, %d failed, drain timed out: %v)",
			r.Loss.Lost, r.Loss.Expected, r.Subscribers, r.Loss.Lossy, r.Loss.Failed, r.Loss.DrainTimedOut)
	}
	if r.Skipped > 0 || r.Abandoned > 0 {
		s += fmt.Sprintf("  skipped %d, abandoned %d", r.Skipped, r.Abandoned)
	}
	if r.Stalled {
		s += "  " + strings.Join(r.StalledState, "; ")
	} else if r.ServerDropped > 0 {
		s += fmt.Sprintf("  server dropped %d %s", r.ServerDropped, r.DroppedUnit)
	}
	if len(r.Relay) > 0 && (r.Relay["lost"] > 0 || r.Relay["send_errors"] > 0 || r.Relay["slow_consumer_drops"] > 0) {
		s += fmt.Sprintf("  bridge: %v", r.Relay)
	}
	if r.Gaps > 0 {
		s += fmt.Sprintf("  %d gaps: %s", r.Gaps, strings.Join(r.GapNotes, "; "))
	}
	if r.ServerDelivered > 0 && r.Loss.Lost > 0 {
		s += fmt.Sprintf("  server delivered %d to queues in the window", r.ServerDelivered)
	}
	if r.ErrCount > 0 {
		s += fmt.Sprintf("  %d errors: %s", r.ErrCount, strings.Join(r.Errors, "; "))
	} else if len(r.Errors) > 0 {
		s += "  " + strings.Join(r.Errors, "; ")
	}
	return s
}

// Smoke returns o made quick, for a check that everything runs and
// every message arrives: 200 subscribers, 1 s cells, one round, and 100
// msgs/s as the fixed rate (20,000 deliveries/s).
func Smoke(o Options) Options {
	o.Subscribers = 200
	o.Rate = 100
	o.Timing = Timing{Warmup: 200 * time.Millisecond, Duration: time.Second}
	o.Rounds = 1
	o.ProfileDir = ""
	return o
}

// Check reports whether o can run.
func (o *Options) Check() error {
	switch {
	case len(o.Servers) == 0 && !o.NATS:
		return errors.New("no servers")
	case o.Subscribers < 2:
		return errors.New("fewer than 2 subscribers")
	case o.Rate <= 0:
		return errors.New("the fixed rate must be positive")
	case o.Window < 1 || o.Window > maxOutstanding:
		return fmt.Errorf("the window must be 1 to %d", maxOutstanding)
	case o.Timing.Duration <= 0 || o.Timing.Warmup < 0:
		return errors.New("bad timing")
	case len(o.Sizes) == 0:
		return errors.New("no sizes")
	}
	return nil
}
