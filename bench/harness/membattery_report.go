package harness

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/bench/rawclient"
	"github.com/fastws/fastws/bench/servers"
)

// Markdown renders the battery's report.
func (r *BatteryReport) Markdown() string {
	var b strings.Builder
	r.writeHeader(&b)
	for _, err := range r.SetupErrs {
		fmt.Fprintf(&b, "\n**Error:** %s\n", err)
	}
	for _, lim := range r.Opts.Limits {
		r.writeLimitTable(&b, lim)
	}
	r.writeFragmentSpeed(&b)
	r.writeBombSummary(&b)
	r.writeBounds(&b)
	return b.String()
}

func (r *BatteryReport) writeHeader(b *strings.Builder) {
	o := r.Opts
	fmt.Fprintf(b, "# WebSocket memory battery\n\n")
	fmt.Fprintf(b, "- date: %s (the battery took %s)\n", r.Start.Format(time.RFC3339), r.Elapsed.Round(time.Second))
	fmt.Fprintf(b, "- go version: %s %s/%s; GOMAXPROCS %d (NumCPU %d), the same for the servers\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(b, "- CPU: %s; kernel %s\n", procstat.CPUModel(), kernelRelease())
	fmt.Fprintf(b, "- libraries: %s\n", libraryVersions(o.Servers))
	var sizes []string
	for _, l := range o.Limits {
		sizes = append(sizes, fmt.Sprintf("%s under %s", sizeText(int64(l.Size)), limitTitle(l)))
	}
	fmt.Fprintf(b, "- S, the message of the read shapes: %s\n", strings.Join(sizes, ", "))
	fmt.Fprintf(b, "- bomb: %s of zeros, compressed once with compress/flate at level 9 into a %s-byte message, sent on %d connections at once\n",
		sizeText(o.BombSize), FormatCount(float64(r.BombWire)), o.BombConns)
	fmt.Fprintf(b, "- peak RSS: %s\n", r.peakMethods())
	fmt.Fprintf(b, "- every server process runs with permessage-deflate enabled (the bomb needs it); the read shapes' connections do not offer it, the bomb's offer `%s`\n", rawclient.DeflateOffer)
	fmt.Fprintf(b, "- each (server, limit) pair is one fresh server process, its shapes run one after another in the order of the table, each on fresh connections; every shape is bounded by %s\n", o.Timeout)

	fmt.Fprintf(b, "\n## Each library's default message limit\n\n")
	fmt.Fprintf(b, "| server | default limit | where it comes from |\n|---|---|---|\n")
	for _, name := range o.Servers {
		d, ok := servers.DefaultLimitOf(name)
		if !ok {
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", name, limitText(d.Bytes), cellText(d.Source))
	}

	fmt.Fprintf(b, "\n## The shapes and the columns\n\n")
	fmt.Fprintf(b, "| shape | what the client sends (masked, binary) |\n|---|---|\n")
	fmt.Fprintf(b, "| frame | S bytes as one frame |\n")
	fmt.Fprintf(b, "| frag64k | S bytes as 64 KiB fragments: a binary frame without FIN, continuations, the last with FIN |\n")
	fmt.Fprintf(b, "| frag1 | S bytes as 1-byte fragments, written some 150,000 frames to a write so that the client is never the bottleneck |\n")
	fmt.Fprintf(b, "| bomb | one compressed frame (RSV1) inflating to %s, on each of %d connections at once |\n\n", sizeText(o.BombSize), o.BombConns)
	fmt.Fprintf(b, "| column | meaning |\n|---|---|\n")
	fmt.Fprintf(b, "| outcome | what the client saw: `echoed` (the whole echo came back, its length and bytes checked; a bomb's echo inflated and checked to be zeros), `close N` (a close frame with code N), `reset`, `dropped` (closed without a close frame), `timeout`; `×k` counts connections |\n")
	fmt.Fprintf(b, "| wall | from the first write to the last answer |\n")
	fmt.Fprintf(b, "| RSS before | the server's VmRSS before the first write, the shape's connections open (their handshakes are not counted), just after the server collected its garbage (SIGUSR1: two GCs and `debug.FreeOSMemory`) |\n")
	fmt.Fprintf(b, "| peak growth | the server's peak RSS during the shape minus RSS before |\n")
	fmt.Fprintf(b, "| after GC | VmRSS once the answer is in and the server has collected again, the shape's connections still open if the server kept them; in brackets, against RSS before: what the process did not give back. The fastws and gorilla echo servers keep their read buffer between messages when it is 1 MiB or less (bench/servers), so a message that small may stay there |\n")
	fmt.Fprintf(b, "| fastws bound | fastws's rows: what fastws promises a message holds at most, 1.25 S + 64 KiB in one frame, 2 S + 64 KiB in fragments (the size is unknown until the last one) and connections × (limit + 64 KiB) for the bomb, and whether the peak growth kept to it |\n\n")
	fmt.Fprintf(b, "The bound is about the heap the library holds for the message; RSS is what the OS sees, and it adds the echo's write, the Go runtime's own overhead (a heap may grow to twice its live size between collections) and pages not yet returned, so an RSS within the bound is a strong result and one a little over it is not by itself a broken promise. RSS moves by a megabyte or two from one baseline to the next (the runtime cannot return a span that is partly in use), so differences that small are noise, and a negative \"after GC\" means the baseline still held something of the shape before.\n")
}

// peakMethods says how the rows' peaks were found.
func (r *BatteryReport) peakMethods() string {
	var hwm, sampled int
	for _, row := range r.Rows {
		switch row.PeakMethod {
		case PeakHWM:
			hwm++
		case PeakSampled:
			sampled++
		}
	}
	switch {
	case sampled == 0:
		return "the kernel's high-water mark (VmHWM in /proc/<pid>/status), reset to the current RSS before each shape by writing 5 to /proc/<pid>/clear_refs (checked to work before every shape)"
	case hwm == 0:
		return "VmRSS sampled every 5 ms during each shape (resetting VmHWM through /proc/<pid>/clear_refs did not work here), so a peak shorter than that can be missed"
	}
	return fmt.Sprintf("VmHWM reset through /proc/<pid>/clear_refs in %d rows; VmRSS sampled every 5 ms in %d rows where the reset did not take", hwm, sampled)
}

func (r *BatteryReport) writeLimitTable(b *strings.Builder, lim LimitSetting) {
	fmt.Fprintf(b, "\n## Limit: %s (S = %s)\n\n", limitTitle(lim), sizeText(int64(lim.Size)))
	fmt.Fprintf(b, "| shape | server | outcome | wall | RSS before | peak growth | after GC | fastws bound |\n")
	fmt.Fprintf(b, "|---|---|---|---:|---:|---:|---:|---|\n")
	for _, shape := range Shapes {
		for _, row := range r.rows(lim, shape) {
			name := row.Server
			if row.Shape == Bomb {
				name += fmt.Sprintf(" (%d conns)", row.Conns)
			}
			if row.Err != nil {
				fmt.Fprintf(b, "| %s | %s | error: %s | | | | | |\n", shape, name, cellText(row.Err.Error()))
				continue
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | +%s | %s (%+.1f) | %s |\n", shape, name,
				cellText(outcomeText(row)), FormatLatency(row.Wall), formatMiB(row.Before), formatMiB(row.PeakGrowth()),
				formatMiB(row.After), float64(row.After-row.Before)/(1<<20), boundText(row))
		}
	}
}

// rows returns the rows of one limit setting and shape, in server order.
func (r *BatteryReport) rows(lim LimitSetting, shape Shape) []BatteryRow {
	var out []BatteryRow
	for _, row := range r.Rows {
		if row.Limit == lim && row.Shape == shape {
			out = append(out, row)
		}
	}
	return out
}

func (r *BatteryReport) writeFragmentSpeed(b *strings.Builder) {
	fmt.Fprintf(b, "\n## Per-fragment speed (frag1)\n\n")
	fmt.Fprintf(b, "The server's CPU time over the frag1 shape divided by its fragments: utime + stime from /proc/<pid>/stat (10 ms ticks, so ±10 ms in all), and the same from the threads' /proc/<pid>/task/*/schedstat (nanoseconds). It includes the kernel's work of receiving 7 wire bytes per fragment and the echo of S bytes. Only rows whose message was echoed have a figure: a refused message stops part-way.\n\n")
	fmt.Fprintf(b, "| limit | server | fragments | outcome | server CPU (stat) | ns/fragment (stat) | ns/fragment (schedstat) | vs gorilla |\n")
	fmt.Fprintf(b, "|---|---|---:|---|---:|---:|---:|---:|\n")
	for _, lim := range r.Opts.Limits {
		rows := r.rows(lim, Frag1)
		var gorilla *BatteryRow
		for i := range rows {
			if rows[i].Server == "gorilla" && rows[i].Err == nil && rows[i].AllEchoed() {
				gorilla = &rows[i]
			}
		}
		for _, row := range rows {
			if row.Err != nil {
				fmt.Fprintf(b, "| %s | %s | %s | error | | | | |\n", limitTitle(lim), row.Server, FormatCount(float64(row.Frames)))
				continue
			}
			stat, sched, ratio := "—", "—", "—"
			if row.AllEchoed() {
				stat = fmt.Sprintf("%.0f", perFragment(row.CPU, row))
				if row.RunTime > 0 {
					sched = fmt.Sprintf("%.0f", perFragment(row.RunTime, row))
				}
				if gorilla != nil {
					ratio = formatRatio(fragmentRatio(row, *gorilla))
				}
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", limitTitle(lim), row.Server,
				FormatCount(float64(row.Frames)), cellText(outcomeText(row)), FormatLatency(row.CPU), stat, sched, ratio)
		}
	}
	fmt.Fprintf(b, "\n\"vs gorilla\" divides the row's CPU per fragment by gorilla's under the same limit, from schedstat where both have it, else from the ticks.\n")
}

func perFragment(d time.Duration, r BatteryRow) float64 {
	return float64(d.Nanoseconds()) / float64(max(r.Frames, 1))
}

// fragmentRatio is r's CPU per fragment over base's, from the finer clock
// when both rows have it.
func fragmentRatio(r, base BatteryRow) float64 {
	if r.RunTime > 0 && base.RunTime > 0 {
		return perFragment(r.RunTime, r) / perFragment(base.RunTime, base)
	}
	return perFragment(r.CPU, r) / perFragment(base.CPU, base)
}

func (r *BatteryReport) writeBombSummary(b *strings.Builder) {
	o := r.Opts
	fmt.Fprintf(b, "\n## Decompression bomb, side by side\n\n")
	fmt.Fprintf(b, "%s of zeros in a %s-byte message on each of %d connections: what each server did, and its peak RSS growth.\n\n",
		sizeText(o.BombSize), FormatCount(float64(r.BombWire)), o.BombConns)
	var within []string
	for _, name := range o.Servers {
		if d, ok := servers.DefaultLimitOf(name); ok && (d.Bytes == 0 || d.Bytes >= o.BombSize) {
			within = append(within, fmt.Sprintf("%s (%s)", name, limitText(d.Bytes)))
		}
	}
	if len(within) > 0 {
		fmt.Fprintf(b, "The bomb is within the default limit of %s: under that setting an echo is what the limit allows.\n\n", strings.Join(within, ", "))
	}
	fmt.Fprintf(b, "| server |")
	for _, lim := range o.Limits {
		fmt.Fprintf(b, " %s |", limitTitle(lim))
	}
	fmt.Fprintf(b, "\n|---|%s\n", strings.Repeat("---|", len(o.Limits)))
	for _, name := range o.Servers {
		fmt.Fprintf(b, "| %s |", name)
		for _, lim := range o.Limits {
			cell := "—"
			for _, row := range r.rows(lim, Bomb) {
				if row.Server != name {
					continue
				}
				if row.Err != nil {
					cell = "error: " + row.Err.Error()
				} else {
					cell = fmt.Sprintf("%s, peak +%s", outcomeText(row), formatMiB(row.PeakGrowth()))
				}
			}
			fmt.Fprintf(b, " %s |", cellText(cell))
		}
		fmt.Fprintf(b, "\n")
	}
}

func (r *BatteryReport) writeBounds(b *strings.Builder) {
	var held, checked int
	var over []string
	for _, row := range r.Rows {
		if row.Bound == 0 || row.Err != nil {
			continue
		}
		checked++
		if row.PeakGrowth() <= row.Bound {
			held++
			continue
		}
		over = append(over, fmt.Sprintf("%s %s under %s: peak growth %s, bound %s (%.2f×)",
			row.Server, row.Shape, limitTitle(row.Limit), formatMiB(row.PeakGrowth()), formatMiB(row.Bound),
			float64(row.PeakGrowth())/float64(row.Bound)))
	}
	if checked == 0 {
		return
	}
	fmt.Fprintf(b, "\n## fastws's bounds\n\n")
	fmt.Fprintf(b, "The peak RSS growth kept to fastws's bound in %d of %d rows. (The bound is on the heap fastws holds for the message; RSS adds the echo's write and the runtime's own overhead, which is what a row a few per cent over shows.)\n", held, checked)
	for _, s := range over {
		fmt.Fprintf(b, "- over: %s\n", s)
	}
}

// outcomeText sums up a row's results: "echoed", "close 1009 ×8",
// "close 1009 ×6, reset ×2".
func outcomeText(r BatteryRow) string {
	var order []string
	count := map[string]int{}
	for _, res := range r.Results {
		s := res.String()
		if res.Kind == rawclient.Echoed && r.Shape == Bomb {
			s = fmt.Sprintf("echoed (%s, %s compressed)", sizeText(res.Length), sizeText(res.Wire))
		}
		if count[s] == 0 {
			order = append(order, s)
		}
		count[s]++
	}
	var parts []string
	for _, s := range order {
		if len(r.Results) > 1 {
			s += fmt.Sprintf(" ×%d", count[s])
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func boundText(r BatteryRow) string {
	if r.Bound == 0 {
		return ""
	}
	verdict := "held"
	if r.PeakGrowth() > r.Bound {
		verdict = "**over**"
	}
	return fmt.Sprintf("≤ %s: %s", formatMiB(r.Bound), verdict)
}

// limitTitle names a limit setting in headings.
func limitTitle(l LimitSetting) string {
	if l.Limit == 0 {
		return "each library's own default"
	}
	return l.String()
}

// sizeText writes n bytes in the largest unit that divides it, or else
// in KiB or MiB with a decimal.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func limitText(n int64) string {
	if n == 0 {
		return "none"
	}
	return sizeText(n)
}

func kernelRelease() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}
