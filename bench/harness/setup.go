package harness

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/internal/loadgen"
)

// setupDialers is how many connections the setup and stalled sections
// have in flight at once: each of this many goroutines dials, does the
// opening handshake and dials again.
const setupDialers = 64

// setupDialTimeout bounds each connect plus handshake.
const setupDialTimeout = 10 * time.Second

// setupSettle is how long the setup section waits after the last
// handshake before reading the server's CPU time, so that the work a
// server does just after writing its 101 (starting a reader, its first
// read finding nothing) is counted; an idle server spends next to nothing
// in it.
const setupSettle = 200 * time.Millisecond

// SetupRow is one server's connection-setup rate.
type SetupRow struct {
	Server    string
	Conns     int           // connections attempted
	Failed    int           // of them, failed connects or handshakes
	FirstErr  error         // the first failure, if any
	Elapsed   time.Duration // from the first connect to the last handshake
	PerSec    float64       // successful upgrades / Elapsed
	ServerCPU time.Duration // server CPU time (utime + stime) per successful upgrade
	ClientCPU time.Duration // this process's CPU time per successful upgrade
	Err       error         // the measurement failed
}

// SetupReport is the connection-setup section.
type SetupReport struct {
	Conns int
	Rows  []SetupRow
}

// RunSetup measures, for each server in a fresh process, how fast conns
// new WebSocket connections are opened (TCP connect and opening
// handshake, no message) with setupDialers in flight, and the server's
// CPU time per upgrade; then it closes them.
func RunSetup(command ServerCommand, names []string, conns int, w io.Writer) *SetupReport {
	rep := &SetupReport{Conns: conns}
	for _, name := range names {
		row := measureSetup(command, name, conns)
		rep.Rows = append(rep.Rows, row)
		progress(w, "setup      %-11s %s", name, setupSummary(row))
	}
	return rep
}

func measureSetup(command ServerCommand, name string, conns int) SetupRow {
	row := SetupRow{Server: name, Conns: conns}
	if err := checkFileLimit(conns); err != nil {
		row.Err = fmt.Errorf("client: %w", err)
		return row
	}
	srv, err := startServer(command, name, false)
	if err != nil {
		row.Err = err
		return row
	}
	defer srv.stop()
	if srv.nofile < uint64(conns+fileLimitHeadroom) {
		row.Err = fmt.Errorf("server RLIMIT_NOFILE is %d, too low for %d connections", srv.nofile, conns)
		return row
	}
	time.Sleep(memorySettle / 4) // let the fresh process settle
	srv0, err := procstat.CPUTime(srv.pid())
	if err != nil {
		row.Err = err
		return row
	}
	self0, err := procstat.SelfCPUTime()
	if err != nil {
		row.Err = err
		return row
	}
	t0 := time.Now()
	ncs, failed, firstErr := dialMany(srv.addr, conns)
	row.Elapsed = time.Since(t0)
	defer closeConns(ncs)
	self1, err := procstat.SelfCPUTime()
	if err != nil {
		row.Err = err
		return row
	}
	time.Sleep(setupSettle)
	srv1, err := procstat.CPUTime(srv.pid())
	if err != nil {
		row.Err = err
		return row
	}
	if err := srv.alive(); err != nil {
		row.Err = err
		return row
	}
	row.Failed, row.FirstErr = failed, firstErr
	ok := conns - failed
	if ok == 0 {
		row.Err = fmt.Errorf("every connection failed: %v", firstErr)
		return row
	}
	row.PerSec = float64(ok) / row.Elapsed.Seconds()
	row.ServerCPU = (srv1 - srv0) / time.Duration(ok)
	row.ClientCPU = (self1 - self0) / time.Duration(ok)
	return row
}

// dialMany opens n upgraded connections to addr with setupDialers in
// flight, and returns those that succeeded (nil where one failed), the
// number that failed and the first error.
func dialMany(addr string, n int) (ncs []net.Conn, failed int, firstErr error) {
	ncs = make([]net.Conn, n)
	var (
		next    atomic.Int64
		nfailed atomic.Int64
		mu      sync.Mutex
		wg      sync.WaitGroup
	)
	for range min(setupDialers, n) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				nc, err := loadgen.DialUpgraded(addr, setupDialTimeout)
				if err != nil {
					nfailed.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				ncs[i] = nc
			}
		})
	}
	wg.Wait()
	return ncs, int(nfailed.Load()), firstErr
}

func closeConns(ncs []net.Conn) {
	for _, nc := range ncs {
		if nc != nil {
			_ = nc.Close()
		}
	}
}

func setupSummary(r SetupRow) string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	s := fmt.Sprintf("%s upgrades/s  server %.1f µs/upgrade  client %.1f µs/upgrade  %d of %d failed",
		FormatCount(r.PerSec), micros(r.ServerCPU), micros(r.ClientCPU), r.Failed, r.Conns)
	if r.FirstErr != nil {
		s += " (first: " + r.FirstErr.Error() + ")"
	}
	return s
}

// Markdown renders the section.
func (r *SetupReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Connection setup: %s new connections per server\n\n", FormatCount(float64(r.Conns)))
	fmt.Fprintf(&b, "Each server in a fresh process; %d client goroutines each open a TCP connection, do the opening handshake and open the next, "+
		"until %s are open (no message is sent; they are closed at the end). Upgrades/s is the successful handshakes over the time from the first connect to the last 101; "+
		"server CPU per upgrade is the server's utime + stime over that time and %v after it (in 10 ms clock ticks) over the successful handshakes; "+
		"client CPU is this process's own (Go's net package, not the epoll load generator).\n\n",
		setupDialers, FormatCount(float64(r.Conns)), setupSettle)
	b.WriteString("| library | upgrades/s | server CPU µs/upgrade | client CPU µs/upgrade | time | failed |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		if row.Err != nil {
			fmt.Fprintf(&b, "| %s | error: %s | | | | |\n", row.Server, cellText(row.Err.Error()))
			continue
		}
		failed := fmt.Sprint(row.Failed)
		if row.FirstErr != nil {
			failed += " (first: " + cellText(row.FirstErr.Error()) + ")"
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.1f | %s | %s |\n", rowLabel(row.Server), FormatCount(row.PerSec),
			micros(row.ServerCPU), micros(row.ClientCPU), FormatLatency(row.Elapsed), failed)
	}
	return b.String()
}

// stalledCell is the normal load of the stalled section.
var stalledCell = Cell{Conns: 10, Size: 1 << 10}

// stalledByte is all a stalled peer sends after its handshake: the first
// byte of a binary frame's header (FIN, opcode 2), never the second.
const stalledByte = 0x82

// StalledRow is one server's normal load with and without stalled peers.
type StalledRow struct {
	Server  string
	Stalled int
	Clean   Row // the normal load on a fresh server, no stalled peer
	Loaded  Row // the same on another fresh server holding the stalled peers
	// Dropped is how many stalled connections the server had closed by
	// the end of the stalled run (from its open descriptors); -1 if
	// unknown.
	Dropped int
}

// StalledReport is the stalled-peers section.
type StalledReport struct {
	Stalled int
	Cell    Cell
	Timing  Timing
	Rows    []StalledRow
}

// RunStalled measures, for each server, a normal closed-loop load
// (stalledCell) on a fresh process, then on another fresh process that
// first got stalled connections, each of which completed its handshake
// and sent one byte of a frame header and nothing more.
func RunStalled(command ServerCommand, names []string, stalled int, timing Timing, load Load, w io.Writer) *StalledReport {
	load.Compress, load.Text = false, false
	rep := &StalledReport{Stalled: stalled, Cell: stalledCell, Timing: timing}
	for _, name := range names {
		row := StalledRow{Server: name, Stalled: stalled}
		row.Clean = runCell(command, name, stalledCell, timing, load)
		progress(w, "stalled    %-11s %-12s %s", name, "clean", rowSummary(row.Clean))
		row.Loaded, row.Dropped = runStalledCell(command, name, stalled, timing, load)
		progress(w, "stalled    %-11s %-11s %s  (%d stalled closed by the server)", name, fmt.Sprintf("%d stalled", stalled), rowSummary(row.Loaded), row.Dropped)
		rep.Rows = append(rep.Rows, row)
	}
	return rep
}

// runStalledCell is runCell with stalled connections opened first and
// held through the load.
func runStalledCell(command ServerCommand, name string, stalled int, timing Timing, load Load) (Row, int) {
	cell := stalledCell
	row := Row{Server: name}
	need := stalled + cell.Conns
	if err := checkFileLimit(need); err != nil {
		row.Err = fmt.Errorf("client: %w", err)
		return row, -1
	}
	srv, err := startServer(command, name, false)
	if err != nil {
		row.Err = err
		return row, -1
	}
	defer srv.stop()
	if srv.nofile < uint64(need+fileLimitHeadroom) {
		row.Err = fmt.Errorf("server RLIMIT_NOFILE is %d, too low for %d connections", srv.nofile, need)
		return row, -1
	}
	ncs, failed, firstErr := dialMany(srv.addr, stalled)
	defer closeConns(ncs)
	if failed > 0 {
		row.Err = fmt.Errorf("%d of %d stalled connections failed: %w", failed, stalled, firstErr)
		return row, -1
	}
	half := []byte{stalledByte}
	for _, nc := range ncs {
		if _, err := nc.Write(half); err != nil {
			row.Err = fmt.Errorf("stalled connection: %w", err)
			return row, -1
		}
	}
	time.Sleep(memorySettle / 4) // the server reads the byte and waits for the rest
	fds0, err := openFiles(srv.pid())
	if err != nil {
		row.Err = err
		return row, -1
	}
	if err := srv.alive(); err != nil {
		row.Err = err
		return row, -1
	}
	client, err := loadgen.Connect(loadgen.Config{
		Addr: srv.addr, Conns: cell.Conns, Size: cell.Size, Loops: load.Loops,
	})
	if err != nil {
		row.Err = err
		return row, -1
	}
	defer client.Close()
	if err := client.Start(0, timing.Warmup+timing.Duration+loadSlack); err != nil {
		row.Err = err
		return row, -1
	}
	if err := measureWindow(client, srv, timing, &row); err != nil {
		_ = client.Stop()
		row.Err = err
		return row, -1
	}
	fds1, err := openFiles(srv.pid())
	if err != nil {
		return row, -1
	}
	// The load's connections are still open.
	return row, max(fds0+cell.Conns-fds1, 0)
}

// openFiles counts the open descriptors of process pid.
func openFiles(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}

// Markdown renders the section.
func (r *StalledReport) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Stalled peers: %s × %s with %s stalled connections\n\n",
		FormatCount(float64(r.Cell.Conns)), FormatSize(r.Cell.Size), FormatCount(float64(r.Stalled)))
	fmt.Fprintf(&b, "What stalled peers cost a normal client. Each server runs twice, each time a fresh process: clean, the normal load alone "+
		"(%d connections × %s binary echoes, one in flight each, %v measured after %v of warm-up); stalled, the same load after %s other connections "+
		"each completed the opening handshake and sent one byte of a frame header (0x%02x) and nothing more, held open throughout. "+
		"The ratios are stalled over clean; the last column counts the stalled connections the server had closed by the end of the stalled run (from its open descriptors).\n\n",
		r.Cell.Conns, FormatSize(r.Cell.Size), r.Timing.Duration, r.Timing.Warmup, FormatCount(float64(r.Stalled)), stalledByte)
	b.WriteString("| library | msgs/s clean | msgs/s stalled | p50 clean | p50 stalled | p99 clean | p99 stalled | server CPU µs/msg clean | server CPU µs/msg stalled | msgs/s stalled/clean | p99 stalled/clean | stalled closed by server |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range r.Rows {
		if err := errors.Join(row.Clean.Err, row.Loaded.Err); err != nil {
			fmt.Fprintf(&b, "| %s | error: %s | | | | | | | | | | |\n", row.Server, cellText(err.Error()))
			continue
		}
		c, s := row.Clean, row.Loaded
		dropped := "?"
		if row.Dropped >= 0 {
			dropped = fmt.Sprint(row.Dropped)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f | %s | %s | %s |\n", rowLabel(row.Server),
			FormatCount(c.MsgsPerSec), FormatCount(s.MsgsPerSec),
			FormatLatency(c.P50), FormatLatency(s.P50), FormatLatency(c.P99), FormatLatency(s.P99),
			micros(c.ServerCPU), micros(s.ServerCPU),
			formatRatio(s.MsgsPerSec/c.MsgsPerSec), formatRatio(float64(s.P99)/float64(c.P99)), dropped)
	}
	return b.String()
}
