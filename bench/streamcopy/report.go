package streamcopy

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/procstat"
)

// Markdown renders the report: a header saying how it was measured, the
// table of medians, and fastws's ratios to raw TCP and to coder's NetConn.
func (r *Report) Markdown() string {
	var b strings.Builder
	r.writeHeader(&b)
	b.WriteString("\n| transport | copy | median wall | MB/s | GB/s | CPU s/GiB | cores | MB/s min–max | runs |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, cr := range append(append([]CaseResult(nil), r.Baseline...), r.Cases...) {
		writeRow(&b, cr)
	}
	r.writeRatios(&b)
	return b.String()
}

func (r *Report) writeHeader(b *strings.Builder) {
	o := r.Opts
	fmt.Fprintf(b, "# io.Copy through WebSocket stream adapters vs raw TCP\n\n")
	fmt.Fprintf(b, "- date: %s\n", r.Start.UTC().Format(time.RFC3339))
	fmt.Fprintf(b, "- go version: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(b, "- GOMAXPROCS: %d (NumCPU %d)\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	fmt.Fprintf(b, "- CPU: %s\n", procstat.CPUModel())
	fmt.Fprintf(b, "- load average (1, 5, 15 min) before: %s; after: %s\n", r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(b, "- libraries: fastws %s, coder/websocket %s\n",
		moduleVersion("github.com/fastws/fastws"), moduleVersion("github.com/coder/websocket"))
	fmt.Fprintf(b, "- copy: %s (%d bytes) per run, %d run(s) per row, interleaved (each round runs every row once, starting one row further along)\n",
		FormatBytes(o.Size), o.Size, o.Runs)
	fmt.Fprintf(b, "- method: one process holds both ends, a sender and a receiver goroutine, over a fresh 127.0.0.1 TCP connection per run (set-up and tear-down not timed); "+
		"for the WebSocket rows the sender is the client (masked frames) and the receiver the server, binary messages, one per Write. "+
		"The sender copies a source reader to its end and closes it (TCP: CloseWrite; WebSocket: the adapter's Close, closing handshake included); "+
		"the receiver copies its end to a sink until io.EOF. Wall time runs from the start of both copies to the end of both\n")
	fmt.Fprintf(b, "- data: %d B (%.2f MiB) of random bytes generated once and repeated by the source (a plain io.Reader that fills each buffer: every Write is of the copy buffer's size, 32 KiB for io.Copy); "+
		"the sink (a plain io.Writer) counts the bytes and compares every byte with the source's at the same offset (memcmp), so the whole stream is checked, not a sample; "+
		"the in-memory rows are that source and sink alone, what the harness costs\n", o.PatternSize, float64(o.PatternSize)/(1<<20))
	fmt.Fprintf(b, "- CPU s/GiB: getrusage(RUSAGE_SELF) user + system time of the whole process over the run (both ends, the kernel's loopback TCP work, GC, the source and the sink), per 2³⁰ bytes copied; cores = that CPU time / wall time. MB/s = 10⁶ B/s, GB/s = 10⁹ B/s, from the median wall time; the other columns are medians of their own\n")
	fmt.Fprintf(b, "- io.CopyBuffer rows wrap both ends so that the buffer is used (net.TCPConn's ReadFrom and WriteTo would bypass it; the WebSocket adapters have neither)\n")
}

func writeRow(b *strings.Builder, cr CaseResult) {
	s := Summarize(cr)
	runs := fmt.Sprintf("%d", s.OK)
	if s.Failed > 0 {
		runs = fmt.Sprintf("%d ok, %d failed", s.OK, s.Failed)
	}
	name, copyName := cr.Case.Transport.Name, cr.Case.CopyName()
	if s.OK == 0 {
		fmt.Fprintf(b, "| %s | %s | error: %s | | | | | | %s |\n", name, copyName, cellText(s.FirstErr.Error()), runs)
		return
	}
	fmt.Fprintf(b, "| %s | %s | %.3f s | %.0f | %.2f | %.3f | %.2f | %.0f–%.0f | %s |\n",
		name, copyName, s.Wall.Seconds(), s.MBps, s.MBps/1000, s.CPUPerGiB, s.Cores, s.MinMBps, s.MaxMBps, runs)
}

// writeRatios compares every fastws row with the raw TCP and coder rows of
// the same copy buffer, and lists the errors of failed runs.
func (r *Report) writeRatios(b *strings.Builder) {
	var lines []string
	for _, f := range r.Cases {
		if !strings.HasPrefix(f.Case.Transport.Key, "fastws") {
			continue
		}
		fs := Summarize(f)
		for _, other := range r.Cases {
			k := other.Case.Transport.Key
			if (k != "tcp" && k != "coder") || other.Case.Buffer != f.Case.Buffer {
				continue
			}
			o := Summarize(other)
			if fs.OK == 0 || o.OK == 0 {
				continue
			}
			lines = append(lines, fmt.Sprintf("| %s / %s | %s | %.2f× | %.2f× |",
				f.Case.Transport.Name, other.Case.Transport.Name, f.Case.CopyName(), fs.MBps/o.MBps, fs.CPUPerGiB/o.CPUPerGiB))
		}
	}
	if len(lines) > 0 {
		b.WriteString("\n## Ratios\n\nThroughput: fastws's MB/s over the other's (above 1: fastws faster). CPU: fastws's CPU s/GiB over the other's (below 1: fastws cheaper).\n\n")
		b.WriteString("| ratio | copy | throughput | CPU per GiB |\n|---|---|---:|---:|\n")
		b.WriteString(strings.Join(lines, "\n") + "\n")
	}
	var errs []string
	for _, cr := range append(append([]CaseResult(nil), r.Baseline...), r.Cases...) {
		for i, res := range cr.Runs {
			if res.Err != nil {
				errs = append(errs, fmt.Sprintf("- %s, %s, run %d: %s", cr.Case.Transport.Name, cr.Case.CopyName(), i+1, res.Err))
			}
		}
	}
	if len(errs) > 0 {
		b.WriteString("\n## Failed runs\n\n" + strings.Join(errs, "\n") + "\n")
	}
}

// moduleVersion returns the version of a module built into this binary,
// "local tree (DIR)" for a replaced one, or "?".
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "?"
	}
	for _, m := range info.Deps {
		if m.Path != path {
			continue
		}
		if m.Replace != nil {
			return "local tree (" + m.Replace.Path + ")"
		}
		return m.Version
	}
	return "?"
}

// cellText makes s safe inside a markdown table cell.
func cellText(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.Join(strings.Fields(s), " ")
}
