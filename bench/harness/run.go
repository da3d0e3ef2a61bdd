// Package harness runs the echo benchmark: it starts each server as a
// child process, drives it with the load generator, samples the server's
// CPU time and memory from /proc, and writes the results as markdown.
package harness

import (
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/fastws/fastws/bench/servers"
)

// Options configures a benchmark run.
type Options struct {
	Servers []string // in order; servers.Names for all
	Cells   []Cell
	Timing  Timing
	Load    Load
	// Rounds is how many times each cell is measured per server, the
	// servers in a rotated order each round; rows give the medians. 0
	// means 1.
	Rounds int
	// MemoryConns is the connection count of the memory section; 0 skips
	// the section.
	MemoryConns int
	// Command starts a server process.
	Command ServerCommand
	// Progress, if set, gets a line as each measurement ends.
	Progress io.Writer
	// CPUs, if set, are the CPUs the caller pinned itself and so its
	// servers to (PinProcess); the report says so.
	CPUs []int
}

// CellResult is one cell's rows, in the order of Options.Servers.
type CellResult struct {
	Cell Cell
	Rows []Row
}

// Report is everything a run measured.
type Report struct {
	Start  time.Time
	Opts   Options
	Cells  []CellResult
	Memory []MemoryRow
	// MemorySkipped says why the memory section was not run, if it was
	// asked for and was not.
	MemorySkipped string
}

// Run measures every server in every cell, servers one after another
// within a cell so that they meet the machine in a similar state, then
// the memory section.
func Run(opts Options) *Report {
	rep := &Report{Start: time.Now(), Opts: opts}
	rounds := max(opts.Rounds, 1)
	for _, cell := range opts.Cells {
		runs := make(map[string][]Row, len(opts.Servers))
		for round := range rounds {
			// Each round starts one server further along, so that no
			// server always follows the same one or runs first.
			for i := range opts.Servers {
				name := opts.Servers[(i+round)%len(opts.Servers)]
				row := runCell(opts.Command, name, cell, opts.Timing, opts.Load)
				runs[name] = append(runs[name], row)
				progress(opts.Progress, "%-10s %-8s %s", cell, name, rowSummary(row))
			}
		}
		res := CellResult{Cell: cell}
		for _, name := range opts.Servers {
			res.Rows = append(res.Rows, medianRow(runs[name]))
		}
		rep.Cells = append(rep.Cells, res)
	}
	if opts.MemoryConns > 0 {
		if err := checkFileLimit(opts.MemoryConns); err != nil {
			rep.MemorySkipped = err.Error()
			progress(opts.Progress, "memory section skipped: %v", err)
			return rep
		}
		for _, name := range opts.Servers {
			if name == servers.Floor {
				continue // a yardstick for CPU per message; it holds a buffer per connection
			}
			row := measureMemory(opts.Command, name, opts.MemoryConns, opts.Load)
			rep.Memory = append(rep.Memory, row)
			progress(opts.Progress, "memory     %-8s %s", name, memorySummary(row))
		}
	}
	return rep
}

// medianRow merges one server's runs of a cell: the median of each
// column, taken separately, and the range of the server's CPU per
// message. A failed run fails the row.
func medianRow(runs []Row) Row {
	for _, r := range runs {
		if r.Err != nil {
			return r
		}
	}
	row := runs[len(runs)/2] // for the columns not merged
	row.Runs = len(runs)
	row.MsgsPerSec = median(runs, func(r Row) float64 { return r.MsgsPerSec })
	row.ServerCores = median(runs, func(r Row) float64 { return r.ServerCores })
	d := func(f func(Row) time.Duration) time.Duration {
		return time.Duration(median(runs, func(r Row) float64 { return float64(f(r)) }))
	}
	row.P50 = d(func(r Row) time.Duration { return r.P50 })
	row.P99 = d(func(r Row) time.Duration { return r.P99 })
	row.ServerCPU = d(func(r Row) time.Duration { return r.ServerCPU })
	row.LoadgenCPU = d(func(r Row) time.Duration { return r.LoadgenCPU })
	row.CPUMin, row.CPUMax = runs[0].ServerCPU, runs[0].ServerCPU
	for _, r := range runs {
		row.CPUMin, row.CPUMax = min(row.CPUMin, r.ServerCPU), max(row.CPUMax, r.ServerCPU)
	}
	return row
}

// median is the median of f over rows (the mean of the middle two for an
// even count).
func median(rows []Row, f func(Row) float64) float64 {
	v := make([]float64, len(rows))
	for i, r := range rows {
		v[i] = f(r)
	}
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

func progress(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

func rowSummary(r Row) string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	s := fmt.Sprintf("%s msgs/s  p50 %s  p99 %s  server %.2f µs/msg (%.2f cores)  loadgen %.2f µs/msg",
		FormatCount(r.MsgsPerSec), FormatLatency(r.P50), FormatLatency(r.P99),
		micros(r.ServerCPU), r.ServerCores, micros(r.LoadgenCPU))
	if w := r.Wire; r.Extension != "" && w.Messages > 0 {
		n := float64(w.Messages)
		s += fmt.Sprintf("  wire %.0f B up, %.0f B down (%.0f%% compressed)  [%s]",
			float64(w.Sent)/n, float64(w.Received)/n, 100*float64(w.Compressed)/n, r.Extension)
	}
	return s
}

func memorySummary(r MemoryRow) string {
	if r.Err != nil {
		return "error: " + r.Err.Error()
	}
	if r.Extension != "" {
		return fmt.Sprintf("baseline %s  (a) idle %.2f  (c) right after echo %.2f  (b) 2 s later %.2f  (d) after GC %.2f KiB/conn  echoes took %s  [%s]",
			formatMiB(r.Baseline), r.IdlePerCon/1024, r.EchoNowPerCon/1024, r.EchoPerCon/1024, r.CollectedPer/1024,
			FormatLatency(r.EchoTime), r.Extension)
	}
	return fmt.Sprintf("baseline %s  idle %.2f KiB/conn  after echo %.2f KiB/conn",
		formatMiB(r.Baseline), r.IdlePerCon/1024, r.EchoPerCon/1024)
}
