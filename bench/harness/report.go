package harness

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/bench/servers"
)

// modulePaths maps server names to the modules whose versions the report
// header names.
var modulePaths = map[string]string{
	servers.Fastws:          "github.com/fastws/fastws",
	servers.FastwsHandle:    "github.com/fastws/fastws",
	servers.FastwsLoop:      "github.com/fastws/fastws",
	servers.FastwsLoopAll:   "github.com/fastws/fastws",
	servers.FastwsNoContext: "github.com/fastws/fastws",
	servers.FastwsWindow12:  "github.com/fastws/fastws",
	"gorilla":               "github.com/gorilla/websocket",
	"coder":                 "github.com/coder/websocket",
	"gobwas":                "github.com/gobwas/ws",
	"gws":                   "github.com/lxzan/gws",
	"nbio":                  "github.com/lesismal/nbio",
}

// Markdown renders the report.
func (r *Report) Markdown() string {
	var b strings.Builder
	compress := r.Opts.Load.Compress
	if compress {
		r.writeCompressedHeader(&b)
	} else {
		r.writeHeader(&b)
	}
	for _, c := range r.Cells {
		writeCell(&b, c, max(r.Opts.Load.Loops, 1), compress)
	}
	if compress {
		r.writeCompressedMemory(&b)
	} else {
		r.writeMemory(&b)
	}
	return b.String()
}

func (r *Report) writeHeader(b *strings.Builder) {
	o := r.Opts
	msgType := "binary"
	if o.Load.Text {
		msgType = "text"
	}
	fmt.Fprintf(b, "# WebSocket echo benchmark\n\n")
	fmt.Fprintf(b, "- date: %s\n", r.Start.Format(time.RFC3339))
	fmt.Fprintf(b, "- go version: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(b, "- GOMAXPROCS: %d (NumCPU %d), the same for the servers\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	writeAffinity(b, o)
	fmt.Fprintf(b, "- CPU: %s\n", procstat.CPUModel())
	fmt.Fprintf(b, "- libraries: %s\n", libraryVersions(o.Servers))
	fmt.Fprintf(b, "- load: %s messages, one in flight per connection; %v measured after %v of warm-up; %d load-generator event loop(s)\n",
		msgType, o.Timing.Duration, o.Timing.Warmup, max(o.Load.Loops, 1))
	writeRounds(b, o)
	fmt.Fprintf(b, "- ratios are against the best peer (every library but fastws) in the cell: msgs/s over the highest peer msgs/s, CPU over the lowest peer CPU per message\n")
	fmt.Fprintf(b, "- fastws runs up to three ways: `fastws` reads with an AppendMessage loop, `fastws-handle` with HandleMessages (the echo runs inside the connection's wait on the poller), both fastws's goroutine-per-connection driver; `fastws-loop` is a `fastws.Server` with an echoing Handler on its event-loop driver, with %[1]d epoll loop(s), as many as nbio's default poller count (NumCPU/4, at least 1), which epoll-floor runs too; `fastws-loop-all`, where it is run, has fastws's default, one loop per GOMAXPROCS\n", servers.EventLoops())
	fmt.Fprintf(b, "- the line under each table for `fastws` and `fastws-handle` gives their ratios against all peers, against the goroutine-per-connection peers alone (all but %s), and against %s\n",
		strings.Join(servers.EventLoop, ", "), referenceNote(o.Servers, servers.Floor))
	fmt.Fprintf(b, "- targets (issue 6) for `fastws` and `fastws-handle`, against the best peer: server CPU per message at most %.2f×, msgs/s at least %.2f×\n", cpuTarget, speedTarget)
	fmt.Fprintf(b, "- the line for `fastws-loop` gives its ratios against the best peer (%s included), against %s alone, and against %s\n",
		strings.Join(servers.EventLoop, ", "), strings.Join(servers.EventLoop, ", "), referenceNote(o.Servers, servers.EpollFloor))
	fmt.Fprintf(b, "- targets (issue 14) for `fastws-loop`: server CPU per message at most %.2f× epoll-floor's and below every peer's, msgs/s at least the best peer's, p99 at most the lowest peer p99\n", loopFloorTarget)
}

// The targets for fastws against the best peer of each cell.
const (
	cpuTarget   = 0.85
	speedTarget = 1.15
)

// referenceNotes says what each reference row is.
var referenceNotes = map[string]string{
	servers.Floor:      "the floor reference row: not a library, the least a goroutine-per-connection echo server on Go's poller can do (bench/servers/floor.go), never counted as a peer",
	servers.EpollFloor: "the epoll-floor reference row: not a library, the least an event-loop echo server can do (level-triggered epoll loops locked to their threads, one read and one write per message; bench/servers/epollfloor.go), never counted as a peer",
}

// referenceNote says what the reference row ref is, or that the run has
// none.
func referenceNote(names []string, ref string) string {
	if slices.Contains(names, ref) {
		return referenceNotes[ref]
	}
	return "no reference row (" + ref + " was not run)"
}

func libraryVersions(names []string) string {
	var parts []string
	for _, n := range names {
		if servers.IsReference(n) {
			parts = append(parts, n+" (reference, bench/servers/"+strings.ReplaceAll(n, "-", "")+".go)")
			continue
		}
		parts = append(parts, n+" "+moduleVersion(modulePaths[n]))
	}
	return strings.Join(parts, ", ")
}

// moduleVersion returns the version of a module built into this binary,
// or "?".
func moduleVersion(path string) string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path != path {
				continue
			}
			if m.Replace != nil {
				return "local tree (" + m.Replace.Path + ")"
			}
			return m.Version
		}
	}
	return "?"
}

// bestPeers returns the peer rows with the highest msgs/s and the lowest
// server CPU per message, or nil where no peer succeeded. Reference rows
// are not peers.
func bestPeers(rows []Row) (fastest, cheapest *Row) {
	return best(rows, func(name string) bool { return !servers.IsReference(name) })
}

// bestGoroutinePeers is bestPeers among the goroutine-per-connection
// peers.
func bestGoroutinePeers(rows []Row) (fastest, cheapest *Row) {
	return best(rows, func(name string) bool { return !servers.IsReference(name) && !servers.IsEventLoop(name) })
}

func best(rows []Row, peer func(string) bool) (fastest, cheapest *Row) {
	for i := range rows {
		r := &rows[i]
		if r.Err != nil || servers.IsFastws(r.Server) || !peer(r.Server) {
			continue
		}
		if fastest == nil || r.MsgsPerSec > fastest.MsgsPerSec {
			fastest = r
		}
		if cheapest == nil || r.ServerCPU < cheapest.ServerCPU {
			cheapest = r
		}
	}
	return fastest, cheapest
}

func writeCell(b *strings.Builder, c CellResult, loops int, compress bool) {
	title := c.Cell.Title()
	if compress {
		title = fmt.Sprintf("%d connections × %s JSON messages, compressed", c.Cell.Conns, FormatSize(c.Cell.Size))
	}
	fmt.Fprintf(b, "\n## %s\n\n", title)
	ranged := len(c.Rows) > 0 && c.Rows[0].Runs > 1
	b.WriteString("| library | msgs/s | p50 | p99 | server CPU µs/msg | server cores | loadgen CPU µs/msg | msgs/s vs best peer | CPU vs best peer |")
	if ranged {
		b.WriteString(" CPU range µs/msg |")
	}
	if compress {
		b.WriteString(" client→server B/msg | server→client B/msg | server→client / raw |")
	}
	b.WriteString("\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
	if ranged {
		b.WriteString("---:|")
	}
	if compress {
		b.WriteString("---:|---:|---:|")
	}
	b.WriteString("\n")
	fastest, cheapest := bestPeers(c.Rows)
	for _, r := range c.Rows {
		if r.Err != nil {
			fmt.Fprintf(b, "| %s | error: %s | | | | | | | |", r.Server, cellText(r.Err.Error()))
			if ranged {
				b.WriteString(" |")
			}
			if compress {
				b.WriteString(" | | |")
			}
			b.WriteString("\n")
			continue
		}
		speed, cpu := "—", "—"
		if fastest != nil {
			speed = formatRatio(r.MsgsPerSec / fastest.MsgsPerSec)
			cpu = formatRatio(float64(r.ServerCPU) / float64(cheapest.ServerCPU))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %.2f | %.2f | %.2f | %s | %s |",
			rowLabel(r.Server), FormatCount(r.MsgsPerSec), FormatLatency(r.P50), FormatLatency(r.P99),
			micros(r.ServerCPU), r.ServerCores, micros(r.LoadgenCPU), speed, cpu)
		if ranged {
			fmt.Fprintf(b, " %.2f–%.2f |", micros(r.CPUMin), micros(r.CPUMax))
		}
		if compress {
			b.WriteString(wireColumns(r.Wire))
		}
		b.WriteString("\n")
	}
	writeCellSummary(b, c.Rows, fastest, cheapest, loops, !compress)
}

// writeCellSummary states fastws's ratios in words, and how the load
// generator's CPU per message compares with the servers': with the server
// it drove in each run, and with the cheapest server of the cell.
func writeCellSummary(b *strings.Builder, rows []Row, fastest, cheapest *Row, loops int, targets bool) {
	b.WriteString("\n")
	for _, r := range rows {
		if servers.IsFastwsLoop(r.Server) {
			writeLoopSummary(b, r, rows, fastest, cheapest, targets)
			continue
		}
		if servers.IsFastws(r.Server) && r.Err == nil && fastest != nil {
			speed, cpu := r.MsgsPerSec/fastest.MsgsPerSec, float64(r.ServerCPU)/float64(cheapest.ServerCPU)
			fmt.Fprintf(b, "%s: %s the msgs/s of the fastest peer (%s), %s the server CPU per message of the cheapest peer (%s)",
				r.Server, formatRatio(speed), fastest.Server, formatRatio(cpu), cheapest.Server)
			if gf, gc := bestGoroutinePeers(rows); gf != nil && (gf != fastest || gc != cheapest) {
				fmt.Fprintf(b, "; among goroutine-per-connection peers, %s the msgs/s of %s and %s the CPU of %s",
					formatRatio(r.MsgsPerSec/gf.MsgsPerSec), gf.Server,
					formatRatio(float64(r.ServerCPU)/float64(gc.ServerCPU)), gc.Server)
			}
			for _, ref := range rows {
				if ref.Server == servers.Floor && ref.Err == nil {
					fmt.Fprintf(b, "; %s the CPU of the %s reference", formatRatio(float64(r.ServerCPU)/float64(ref.ServerCPU)), ref.Server)
				}
			}
			b.WriteString(".")
			if targets {
				verdict := "met"
				if cpu > cpuTarget || speed < speedTarget {
					verdict = "NOT met"
				}
				fmt.Fprintf(b, " Targets (CPU ≤ %.2f×, msgs/s ≥ %.2f×): %s.", cpuTarget, speedTarget, verdict)
			}
			b.WriteString("\n")
		}
	}
	var loadgenMax, serverMin time.Duration
	var loadgenCores float64 // the busiest the load generator was
	var cheapestServer string
	var dearer []string // servers whose run cost the load generator more than them
	for _, r := range rows {
		if r.Err != nil {
			continue
		}
		loadgenMax = max(loadgenMax, r.LoadgenCPU)
		loadgenCores = max(loadgenCores, r.LoadgenCPU.Seconds()*r.MsgsPerSec)
		if cheapestServer == "" || r.ServerCPU < serverMin {
			serverMin, cheapestServer = r.ServerCPU, r.Server
		}
		if r.LoadgenCPU >= r.ServerCPU {
			dearer = append(dearer, r.Server)
		}
	}
	if cheapestServer == "" {
		return
	}
	pairing := "less than the server it drove in every run"
	if len(dearer) > 0 {
		pairing = "NOT less than the server it drove with " + strings.Join(dearer, ", ")
	}
	overall := "below"
	if loadgenMax >= serverMin {
		overall = "NOT below"
	}
	fmt.Fprintf(b, "Load generator: %s; at most %.2f µs CPU per message, %s the cheapest server's %.2f µs (%s); at most %.2f cores busy, with %d event loop(s).\n",
		pairing, micros(loadgenMax), overall, micros(serverMin), cheapestServer, loadgenCores, loops)
}

// rowLabel is a row's name in the tables.
func rowLabel(name string) string {
	if servers.IsReference(name) {
		return name + " (reference)"
	}
	return name
}

func (r *Report) writeMemory(b *strings.Builder) {
	if r.Opts.MemoryConns <= 0 {
		return
	}
	fmt.Fprintf(b, "\n## Memory: server RSS per connection at %d connections\n\n", r.Opts.MemoryConns)
	if r.MemorySkipped != "" {
		fmt.Fprintf(b, "Skipped: %s.\n", cellText(r.MemorySkipped))
		return
	}
	fmt.Fprintf(b, "RSS (VmRSS) of a fresh server process before any connection, then per connection with all of them open and idle, then after each echoed one %s message.\n\n", FormatSize(r.Opts.Load.memoryEcho()))
	b.WriteString("| library | RSS before | idle KiB/conn | after echo KiB/conn | idle vs best peer | after echo vs best peer |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	var bestIdle, bestEcho float64
	found := false
	for _, m := range r.Memory {
		if m.Err != nil || servers.IsFastws(m.Server) || servers.IsReference(m.Server) {
			continue
		}
		if !found || m.IdlePerCon < bestIdle {
			bestIdle = m.IdlePerCon
		}
		if !found || m.EchoPerCon < bestEcho {
			bestEcho = m.EchoPerCon
		}
		found = true
	}
	for _, m := range r.Memory {
		if m.Err != nil {
			fmt.Fprintf(b, "| %s | error: %s | | | | |\n", rowLabel(m.Server), cellText(m.Err.Error()))
			continue
		}
		idleRatio, echoRatio := "—", "—"
		if found && bestIdle > 0 && bestEcho > 0 {
			idleRatio, echoRatio = formatRatio(m.IdlePerCon/bestIdle), formatRatio(m.EchoPerCon/bestEcho)
		}
		fmt.Fprintf(b, "| %s | %s | %.2f | %.2f | %s | %s |\n",
			rowLabel(m.Server), formatMiB(m.Baseline), m.IdlePerCon/1024, m.EchoPerCon/1024, idleRatio, echoRatio)
	}
	writeMemorySummary(b, r.Memory)
	writeLoopMemorySummary(b, r.Memory)
}

// writeMemorySummary compares the idle memory of fastws's goroutine
// drivers with the goroutine-per-connection peers', their class: the
// target is at most the best of them.
func writeMemorySummary(b *strings.Builder, rows []MemoryRow) {
	var bestRow *MemoryRow
	for i := range rows {
		m := &rows[i]
		if m.Err == nil && !servers.IsFastws(m.Server) && !servers.IsEventLoop(m.Server) && !servers.IsReference(m.Server) &&
			(bestRow == nil || m.IdlePerCon < bestRow.IdlePerCon) {
			bestRow = m
		}
	}
	if bestRow == nil || bestRow.IdlePerCon <= 0 {
		return
	}
	b.WriteString("\n")
	for _, m := range rows {
		if m.Err != nil || !servers.IsFastws(m.Server) || servers.IsFastwsLoop(m.Server) {
			continue
		}
		ratio := m.IdlePerCon / bestRow.IdlePerCon
		verdict := "met"
		if ratio > 1 {
			verdict = "NOT met"
		}
		fmt.Fprintf(b, "%s idle: %s the best goroutine-per-connection peer's (%s, %.2f KiB). Target (at most 1.00×): %s.\n",
			m.Server, formatRatio(ratio), bestRow.Server, bestRow.IdlePerCon/1024, verdict)
	}
}

// writeAffinity says where -cpu pinned the run, if it did.
func writeAffinity(b *strings.Builder, o Options) {
	if len(o.CPUs) > 0 {
		fmt.Fprintf(b, "- CPU affinity (-cpu): the load generator and every server pinned to CPU(s) %v, so they share those CPUs and their caches; the servers' runtimes see %d CPU(s) and set GOMAXPROCS from that\n", o.CPUs, len(o.CPUs))
	}
}

// writeRounds says how the rows came from several rounds, if they did.
func writeRounds(b *strings.Builder, o Options) {
	if rounds := max(o.Rounds, 1); rounds > 1 {
		fmt.Fprintf(b, "- rounds: each cell ran %d times per server, the servers in a rotated order each round; every column is the median of its runs, and \"CPU range\" the lowest and highest server CPU per message among them\n", rounds)
	}
}
