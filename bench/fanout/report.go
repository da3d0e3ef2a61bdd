package fanout

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/bench/servers"
	"github.com/fastws/fastws/internal/loadgen"
)

// The project's targets for fastws's fan-out, against gws.
const (
	// targetFullSpeed: the loop driver's delivered msgs/s at full speed,
	// at least this many times gws's.
	targetFullSpeed = 2.0
	// targetCPU: the loop driver's server CPU per delivery at the fixed
	// rate, at most this many times gws's.
	targetCPU = 0.7
	// targetAllocs: allocations per delivery in steady state, "0": below
	// this (at 10,000 subscribers, fewer than 10 per message published,
	// however many subscribers).
	targetAllocs = 0.001
	// targetLevel: "at least level with gws" for the goroutine driver,
	// read with the noise of these machines: msgs/s at least 1 -
	// targetLevel times gws's, CPU per delivery at most 1 + targetLevel.
	targetLevel = 0.10
	// targetStalled: the others' p99 with a stalled subscriber, at most
	// this many times the clean run's; p99 of single runs moves by this
	// much from run to run here (see the clean range in the table).
	targetStalled = 1.25
)

// modules names the module whose version the report gives per server.
var modules = map[string]string{
	FastwsLoop: "github.com/fastws/fastws", Fastws: "github.com/fastws/fastws",
	Gws: "github.com/lxzan/gws", Gorilla: "github.com/gorilla/websocket",
	FastwsNATS:        "github.com/nats-io/nats-server/v2",
	FastwsLoopDeflate: "github.com/fastws/fastws", FastwsLoopDeflateShared: "github.com/fastws/fastws",
	GwsDeflate: "github.com/lxzan/gws", GorillaDeflate: "github.com/gorilla/websocket",
}

// reference returns the server a row of name is compared with: gws, in
// the same mode (compressed or not).
func reference(name string) string {
	if IsCompressed(name) {
		return GwsDeflate
	}
	return Gws
}

// compressed reports whether the run has compressed servers.
func (r *Report) compressed() bool { return slices.ContainsFunc(r.Opts.Servers, IsCompressed) }

// Markdown renders the report; command is the command line it came from.
func (r *Report) Markdown(command string) string {
	var b strings.Builder
	r.header(&b, command)
	for _, cell := range r.Opts.Cells() {
		r.cellTable(&b, cell)
	}
	r.targets(&b)
	r.stalledTable(&b)
	r.natsTable(&b)
	r.problems(&b)
	return b.String()
}

func (r *Report) header(b *strings.Builder, command string) {
	o := r.Opts
	fmt.Fprintf(b, "# Fan-out benchmark: one publisher, %s subscribers on one topic\n\n", formatCount(float64(o.Subscribers)))
	fmt.Fprintf(b, "- command: `%s` (from `bench/`)\n", command)
	fmt.Fprintf(b, "- date: %s, %v in all\n", r.Start.Format(time.RFC3339), r.End.Sub(r.Start).Round(time.Second))
	fmt.Fprintf(b, "- go version: %s %s/%s; GOMAXPROCS %d (NumCPU %d), the same for the servers\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(b, "- CPU: %s; load average (1, 5, 15 min) at the start %s, at the end %s\n", procstat.CPUModel(), r.LoadStart, loadAverage())
	fmt.Fprintf(b, "- libraries: %s\n", libraryVersions())
	fmt.Fprintf(b, "- servers: each a child process on 127.0.0.1, compression off; `%s`: fastws.Server, DriverLoops with %d loop(s) (servers.EventLoops, as in the echo benchmark), hub.Hub (Publish: one PreparedMessage per message), QueueDropOldest; `%s`: the same on DriverGoroutines; `%s`: gws.NewServer and gws.NewBroadcaster per message; `%s`: the chat example's hub goroutine, 256-message send channel and writePump per client, websocket.PreparedMessage per message\n",
		FastwsLoop, servers.EventLoops(), Fastws, Gws, Gorilla)
	if r.compressed() {
		fmt.Fprintf(b, "- compressed servers: the same with permessage-deflate at each library's default level (1); their subscribers offer it as a browser does (`%s`, context takeover allowed) and inflate and check every message; the publisher sends JSON documents (loadgen.JSONMessage, %d variants in turn, the stamp over their first %d bytes). `%s`: fastws's defaults, context takeover, so every subscriber's compressor compresses the message again; `%s`: ServerNoContextTakeover, so the PreparedMessage is compressed once and its frame shared; `%s`: gws's defaults (no server context takeover), its Broadcaster compresses once; `%s`: EnableCompression, its PreparedMessage compresses once per level; wire / raw = payload bytes received / bytes delivered; their vs gws columns compare with `%s`\n",
			loadgen.DeflateOffer, jsonVariants, StampSize, FastwsLoopDeflate, FastwsLoopDeflateShared, GwsDeflate, GorillaDeflate, GwsDeflate)
	}
	fmt.Fprintf(b, "- load: the subscribers (raw sockets on %d epoll loop(s)) and the publisher are one process, the bench's; each message carries its sequence number and publish time; every delivery's size and bytes are checked, and losses counted per subscriber\n", max(o.Loops, 1))
	fmt.Fprintf(b, "- cells: %s; fixed rate %g msgs/s (%s deliveries/s offered); full speed: as fast as the server takes them, at most %d messages outstanding (published, not yet at every subscriber)\n",
		sizeList(o.Sizes), o.Rate, formatCount(o.Rate*float64(o.Subscribers)), o.Window)
	fmt.Fprintf(b, "- timing: %v warm-up, %v measured per cell; %d round(s), each server's cells in one process per round, the servers in a rotated order; the tables give medians over rounds\n",
		o.Timing.Warmup, o.Timing.Duration, max(o.Rounds, 1))
	fmt.Fprintf(b, "- columns: delivered = messages received by all subscribers / window; latency = publish (before the publisher's write) to receipt (after the subscriber's read), every delivery; server CPU = utime + stime of the server process(es) over the window (10 ms ticks) / deliveries, \"of it system\" the stime share (the kernel's work: on loopback, delivering each write to the subscriber's socket); bench cores = this process's CPU over the window; allocs = runtime.MemStats.Mallocs of the server over the window / deliveries and / messages published; vs gws = this row / gws's (msgs/s and p99: higher and lower is better; CPU: lower is better)\n\n")
}

func (r *Report) cellTable(b *strings.Builder, cell Cell) {
	fmt.Fprintf(b, "## %s\n\n", cell)
	wireHead, wireRule := "", ""
	if r.compressed() {
		wireHead, wireRule = " wire / raw |", "--:|"
	}
	fmt.Fprintf(b, "| server | delivered msgs/s | published msgs/s | p50 | p99 | server CPU µs/delivery | of it system | server cores | bench cores | allocs/delivery | allocs/publish | lost |%s msgs/s vs gws | CPU vs gws | p99 vs gws |\n", wireHead)
	fmt.Fprintf(b, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|%s--:|--:|--:|\n", wireRule)
	for _, name := range r.Opts.Servers {
		row, ok := r.Rows[name][cell]
		if !ok {
			continue
		}
		if row.Err != nil {
			fmt.Fprintf(b, "| %s | error: %s ||||||||||||||\n", name, cellText(row.Err.Error()))
			continue
		}
		vs := "| | |"
		if ref, ok := r.Rows[reference(name)][cell]; ok && ref.Err == nil {
			vs = fmt.Sprintf("%s | %s | %s", ratio(row.MsgsPerSec, ref.MsgsPerSec),
				ratio(float64(row.ServerCPU), float64(ref.ServerCPU)), ratio(float64(row.P99), float64(ref.P99)))
		}
		wire := ""
		if r.compressed() {
			wire = fmt.Sprintf(" %.3f |", row.WireRatio)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %.2f | %.0f %% | %.2f | %.2f | %s | %s | %s |%s %s |\n",
			name, formatCount(row.MsgsPerSec), formatCount(row.PubPerSec), formatLatency(row.P50), formatLatency(row.P99),
			micros(row.ServerCPU), 100*row.SysShare, row.ServerCores, row.ClientCores, allocs(row, false), allocs(row, true),
			lossText(row), wire, vs)
	}
	b.WriteString("\n")
}

// allocs formats a row's allocations per delivery, or per publish.
func allocs(row Row, perPublish bool) string {
	switch {
	case !row.AllocsOK:
		return "?"
	case perPublish:
		return fmt.Sprintf("%.1f", row.AllocsPerPublish)
	default:
		return fmt.Sprintf("%.4f", row.AllocsPerDelivery)
	}
}

func lossText(row Row) string {
	s := formatCount(float64(row.Loss.Lost))
	if row.Loss.DrainTimedOut {
		s += " (drain timed out)"
	}
	if row.Skipped > 0 {
		s += fmt.Sprintf(", %d ticks skipped", row.Skipped)
	}
	return s
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// targets writes whether the project's targets hold, cell by cell.
func (r *Report) targets(b *strings.Builder) {
	fmt.Fprintf(b, "## Targets\n\n")
	verdict := func(ok bool) string {
		if ok {
			return "**met**"
		}
		return "**missed**"
	}
	get := func(name string, cell Cell) (Row, bool) {
		row, ok := r.Rows[name][cell]
		return row, ok && row.Err == nil
	}
	for _, size := range r.Opts.Sizes {
		full := Cell{Size: size, Window: r.Opts.Window}
		fixed := Cell{Size: size, Rate: r.Opts.Rate}
		loopFull, ok1 := get(FastwsLoop, full)
		gwsFull, ok2 := get(Gws, full)
		if ok1 && ok2 {
			x := loopFull.MsgsPerSec / gwsFull.MsgsPerSec
			fmt.Fprintf(b, "- %s, full speed: `%s` delivers %.2f× gws's msgs/s (target ≥ %.1f×): %s\n",
				FormatSize(size), FastwsLoop, x, targetFullSpeed, verdict(x >= targetFullSpeed))
		}
		loopFixed, ok1 := get(FastwsLoop, fixed)
		gwsFixed, ok2 := get(Gws, fixed)
		if ok1 && ok2 {
			x := float64(loopFixed.ServerCPU) / float64(gwsFixed.ServerCPU)
			fmt.Fprintf(b, "- %s, %g msgs/s: `%s` uses %.2f× gws's server CPU per delivery (target ≤ %.1f×): %s\n",
				FormatSize(size), r.Opts.Rate, FastwsLoop, x, targetCPU, verdict(x <= targetCPU))
		}
		goFull, ok1 := get(Fastws, full)
		goFixed, ok3 := get(Fastws, fixed)
		if ok1 && ok3 && gwsFull.Err == nil && gwsFixed.Err == nil && gwsFull.MsgsPerSec > 0 && gwsFixed.ServerCPU > 0 {
			x := goFull.MsgsPerSec / gwsFull.MsgsPerSec
			y := float64(goFixed.ServerCPU) / float64(gwsFixed.ServerCPU)
			fmt.Fprintf(b, "- %s: `%s` (goroutine driver) delivers %.2f× gws's msgs/s at full speed and uses %.2f× its CPU per delivery at %g msgs/s (target: at least level, read as ≥ %.2f× and ≤ %.2f×): %s\n",
				FormatSize(size), Fastws, x, y, r.Opts.Rate, 1-targetLevel, 1+targetLevel, verdict(x >= 1-targetLevel && y <= 1+targetLevel))
		}
		for _, name := range []string{FastwsLoop, Fastws} {
			var worst float64
			var where []string
			okAll := true
			for _, c := range []Cell{fixed, full} {
				row, ok := get(name, c)
				if !ok || !row.AllocsOK {
					okAll = false
					continue
				}
				worst = max(worst, row.AllocsPerDelivery)
				where = append(where, fmt.Sprintf("%.4f (%.1f per message published) %s", row.AllocsPerDelivery, row.AllocsPerPublish, cellMode(c)))
			}
			if len(where) > 0 {
				fmt.Fprintf(b, "- %s: `%s` allocates %s per delivery (target: 0, read as < %g): %s\n",
					FormatSize(size), name, strings.Join(where, ", "), targetAllocs, verdict(okAll && worst < targetAllocs))
			}
		}
	}
	r.compressOnce(b, get)
	for _, name := range []string{FastwsLoop, Fastws} {
		for _, cell := range r.Opts.StalledCells() {
			clean, ok1 := get(name, cell)
			st, ok2 := r.Stalled[name][cell]
			if !ok1 || !ok2 || st.Err != nil {
				continue
			}
			x := float64(st.P99) / float64(clean.P99)
			fmt.Fprintf(b, "- %s, %g msgs/s, one stalled subscriber: `%s`'s others' p99 is %.2f× the clean run's (target: unchanged within noise, read as ≤ %.2f×): %s\n",
				FormatSize(cell.Size), cell.Rate, name, x, targetStalled, verdict(x <= targetStalled))
		}
	}
	b.WriteString("\n")
}

// compressOnce writes what compressing a broadcast once costs against
// compressing it per connection (issue 16), cell by cell.
func (r *Report) compressOnce(b *strings.Builder, get func(string, Cell) (Row, bool)) {
	for _, cell := range r.Opts.Cells() {
		shared, ok1 := get(FastwsLoopDeflateShared, cell)
		each, ok2 := get(FastwsLoopDeflate, cell)
		if !ok1 || !ok2 {
			continue
		}
		line := fmt.Sprintf("- %s, compressed: compressing once (`%s`) costs %.2f× the server CPU per delivery of compressing per connection (`%s`), %.2f against %.2f µs, at %.3f against %.3f of the raw size on the wire",
			cell, FastwsLoopDeflateShared, float64(shared.ServerCPU)/float64(each.ServerCPU), FastwsLoopDeflate,
			micros(shared.ServerCPU), micros(each.ServerCPU), shared.WireRatio, each.WireRatio)
		if g, ok := get(GwsDeflate, cell); ok {
			line += fmt.Sprintf("; against gws's Broadcaster %.2f× (%.2f µs, %.3f)", float64(shared.ServerCPU)/float64(g.ServerCPU), micros(g.ServerCPU), g.WireRatio)
		}
		b.WriteString(line + "\n")
	}
}

func cellMode(c Cell) string {
	if c.Full() {
		return "at full speed"
	}
	return fmt.Sprintf("at %g msgs/s", c.Rate)
}

// stalledTable compares the stalled cells with the clean ones.
func (r *Report) stalledTable(b *strings.Builder) {
	if !r.Opts.Stalled {
		return
	}
	fmt.Fprintf(b, "## One stalled subscriber\n\n")
	fmt.Fprintf(b, "The same fixed-rate cells, each server in a fresh process, with one more subscriber that never reads: it connects first, with SO_RCVBUF %d B and an MSS of %d B (so that the server's kernel send buffer for it stays near 100 KB instead of growing to 4 MiB on loopback), and is sent %s of %s messages while it is the only subscriber; then the %s others connect and the cells run. So the server holds a backlog for it in its own memory from the start, under its policy: fastws QueueDropOldest (1 MiB or 4096 messages per subscriber, then the oldest dropped down to half), gorilla's hub drops a client whose 256-message channel is full, gws queues without bound. p99 is the others'; \"clean\" is the main table's row (its range over rounds in brackets).\n\n",
		r.Opts.StalledRcvbuf, stalledMSS, FormatSize(r.Opts.StalledFill), FormatSize(fillSize), formatCount(float64(r.Opts.Subscribers)))
	fmt.Fprintf(b, "| server | cell | clean p99 [range] | stalled p99 | p99 stalled / clean | clean msgs/s | stalled msgs/s | lost | the stalled subscriber |\n")
	fmt.Fprintf(b, "|---|---|--:|--:|--:|--:|--:|--:|---|\n")
	for _, name := range r.Opts.Servers {
		for _, cell := range r.Opts.StalledCells() {
			st, ok := r.Stalled[name][cell]
			if !ok {
				continue
			}
			clean := r.Rows[name][cell]
			if st.Err != nil || clean.Err != nil {
				err := st.Err
				if err == nil {
					err = clean.Err
				}
				fmt.Fprintf(b, "| %s | %s | error: %s |||||||\n", name, cell, cellText(err.Error()))
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s [%s–%s] | %s | %s | %s | %s | %s | %s |\n",
				name, cell, formatLatency(clean.P99), formatLatency(clean.P99Min), formatLatency(clean.P99Max),
				formatLatency(st.P99), ratio(float64(st.P99), float64(clean.P99)),
				formatCount(clean.MsgsPerSec), formatCount(st.MsgsPerSec), lossText(st),
				cellText(strings.Join(st.StalledState, "; ")))
		}
	}
	b.WriteString("\n")
}

// natsTable writes the multi-node section.
func (r *Report) natsTable(b *strings.Builder) {
	if !r.Opts.NATS {
		return
	}
	nodes := max(r.Opts.NATSNodes, 2)
	fmt.Fprintf(b, "## Across nodes: %d × `%s` joined through NATS\n\n", nodes, FastwsLoop)
	fmt.Fprintf(b, "%d processes of the `%s` server, each with its hub joined to the others' by `natsbridge.Connect` to one NATS server (nats-server v2, in a process of its own, default options), %s subscribers on each, the publisher on node 1: node 1 delivers to its own subscribers and relays, node 2 delivers what NATS brings. One round. The hop's cost is read best within the run, node 2 against node 1 (same messages, same moment); \"one node\" is the main table's `%s` row (all %s subscribers on one process, the median of its rounds), against which node 2's p99 is given too, though single runs' p99 vary by 2× here. Server CPU counts both WebSocket servers; the NATS server's is apart.\n\n",
		nodes, FastwsLoop, formatCount(float64(r.Opts.Subscribers/nodes)), FastwsLoop, formatCount(float64(r.Opts.Subscribers)))
	if r.NATSErr != nil {
		fmt.Fprintf(b, "Not run: %s\n\n", cellText(r.NATSErr.Error()))
		return
	}
	fmt.Fprintf(b, "| cell | delivered msgs/s (all nodes) | vs one node | node 1 p50 / p99 | node 2 p50 / p99 | the hop: node 2 − node 1, p50 / p99 | one node p50 / p99 | node 2 p99 − one node's | server CPU µs/delivery | NATS server CPU µs/delivery | allocs/delivery | lost |\n")
	fmt.Fprintf(b, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, cell := range r.Opts.Cells() {
		row, ok := r.NATS[cell]
		if !ok {
			continue
		}
		if row.Err != nil {
			fmt.Fprintf(b, "| %s | error: %s ||||||||||\n", cell, cellText(row.Err.Error()))
			continue
		}
		one, okOne := r.Rows[FastwsLoop][cell]
		okOne = okOne && one.Err == nil
		nodeText := func(i int) string {
			if i >= len(row.Nodes) {
				return "–"
			}
			return formatLatency(row.Nodes[i].P50) + " / " + formatLatency(row.Nodes[i].P99)
		}
		hop, oneText, vsOne, added := "–", "–", "–", "–"
		if len(row.Nodes) > 1 {
			hop = formatDelta(row.Nodes[1].P50-row.Nodes[0].P50) + " / " + formatDelta(row.Nodes[1].P99-row.Nodes[0].P99)
		}
		if okOne {
			oneText = formatLatency(one.P50) + " / " + formatLatency(one.P99)
			vsOne = ratio(row.MsgsPerSec, one.MsgsPerSec)
			if len(row.Nodes) > 1 {
				added = formatDelta(row.Nodes[1].P99 - one.P99)
			}
		}
		natsCPU := fmt.Sprintf("%.3f", micros(row.ExtraCPU))
		if row.ExtraCPU == 0 {
			natsCPU = "0 (under one 10 ms tick)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %s | %s | %s |\n",
			cell, formatCount(row.MsgsPerSec), vsOne, nodeText(0), nodeText(1), hop, oneText, added,
			micros(row.ServerCPU), natsCPU, allocs(row, false), lossText(row))
	}
	b.WriteString("\n")
}

// problems lists every error and loss the run met.
func (r *Report) problems(b *strings.Builder) {
	var lines []string
	add := func(label string, row Row) {
		if row.Err != nil {
			lines = append(lines, fmt.Sprintf("%s: failed: %v", label, row.Err))
			return
		}
		if row.Loss.Lost > 0 || row.Loss.Failed > 0 || row.Loss.Extra > 0 || row.Loss.DrainTimedOut {
			lines = append(lines, fmt.Sprintf("%s: %d deliveries lost over %d subscribers (the most by one: %d), %d subscribers failed, %d extra, drain timed out: %v",
				label, row.Loss.Lost, row.Loss.Lossy, row.Loss.MaxLost, row.Loss.Failed, row.Loss.Extra, row.Loss.DrainTimedOut))
		}
		if row.Abandoned > 0 {
			lines = append(lines, fmt.Sprintf("%s: the publisher stopped waiting for %d messages", label, row.Abandoned))
		}
		if row.Gaps > 0 {
			lines = append(lines, fmt.Sprintf("%s: %d gaps in the sequence: %s", label, row.Gaps, strings.Join(row.GapNotes, "; ")))
		}
		if row.ErrCount > 0 || len(row.Errors) > 0 {
			lines = append(lines, fmt.Sprintf("%s: %d errors: %s", label, row.ErrCount, strings.Join(row.Errors, "; ")))
		}
		if len(row.Relay) > 0 && (row.Relay["lost"] > 0 || row.Relay["send_errors"] > 0 || row.Relay["slow_consumer_drops"] > 0) {
			lines = append(lines, fmt.Sprintf("%s: bridge counters over the window: %v", label, row.Relay))
		}
	}
	for _, name := range r.Opts.Servers {
		for _, cell := range r.Opts.Cells() {
			if row, ok := r.Rows[name][cell]; ok {
				add(name+", "+cell.String(), row)
			}
		}
		for _, cell := range r.Opts.StalledCells() {
			if row, ok := r.Stalled[name][cell]; ok {
				add(name+", "+cell.String()+", stalled", row)
			}
		}
	}
	for _, cell := range r.Opts.Cells() {
		if row, ok := r.NATS[cell]; ok {
			add(FastwsNATS+", "+cell.String(), row)
		}
	}
	if r.NATSErr != nil {
		lines = append(lines, "multi-node section: "+r.NATSErr.Error())
	}
	fmt.Fprintf(b, "## Errors and losses\n\n")
	if len(lines) == 0 {
		fmt.Fprintf(b, "None: every subscriber received every message of every window, in order, with the size and bytes published.\n\n")
		return
	}
	for _, l := range lines {
		fmt.Fprintf(b, "- %s\n", cellText(l))
	}
	b.WriteString("\n")
}

// OK reports whether every row ran and every subscriber got every
// message, in order and intact (the stalled subscriber aside).
func (r *Report) OK() bool {
	bad := func(row Row) bool {
		return row.Err != nil || row.Loss.Lost > 0 || row.Loss.Failed > 0 || row.Loss.Extra > 0 ||
			row.Loss.DrainTimedOut || row.Gaps > 0 || row.ErrCount > 0
	}
	for _, rows := range []map[string]map[Cell]Row{r.Rows, r.Stalled} {
		for _, byCell := range rows {
			for _, row := range byCell {
				if bad(row) {
					return false
				}
			}
		}
	}
	for _, row := range r.NATS {
		if bad(row) {
			return false
		}
	}
	return r.NATSErr == nil
}

func sizeList(sizes []int) string {
	var s []string
	for _, n := range sizes {
		s = append(s, FormatSize(n))
	}
	return strings.Join(s, ", ")
}

// libraryVersions names the version of each module the servers use, from
// the binary's build information.
func libraryVersions() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	version := map[string]string{}
	for _, m := range info.Deps {
		v := m.Version
		if m.Replace != nil {
			v = "(this tree)"
		}
		version[m.Path] = v
	}
	var out []string
	for _, name := range append(append([]string{}, Names...), FastwsNATS) {
		path := modules[name]
		v, ok := version[path]
		if !ok {
			continue
		}
		entry := fmt.Sprintf("%s %s", path, v)
		if name == FastwsNATS {
			entry += fmt.Sprintf(" (NATS server), github.com/nats-io/nats.go %s (natsbridge's client)", version["github.com/nats-io/nats.go"])
		}
		if !strings.Contains(strings.Join(out, ", "), entry) {
			out = append(out, entry)
		}
	}
	return strings.Join(out, ", ")
}

// loadAverage returns /proc/loadavg's first three fields.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cellText makes s safe inside a markdown table cell.
func cellText(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}

// formatDelta prints a signed difference of latencies.
func formatDelta(d time.Duration) string {
	if d < 0 {
		return "−" + formatLatency(-d)
	}
	return "+" + formatLatency(d)
}

// kib formats n bytes in KiB.
func kib(n int64) string { return fmt.Sprintf("%.0f KiB", float64(n)/1024) }
