package streamcopy

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// Options configures a benchmark run.
type Options struct {
	Size        int64         // bytes per copy
	Runs        int           // copies per case
	Cases       []Case        // in this order in the report
	PatternSize int           // 0: DefaultPatternSize
	Timeout     time.Duration // per copy, connection set-up included; 0: 5 minutes
	Progress    io.Writer     // a line per copy; nil: none
}

// CaseResult is a case's copies, in the order they ran.
type CaseResult struct {
	Case Case
	Runs []Result
}

// Report is the outcome of Run.
type Report struct {
	Opts     Options
	Start    time.Time
	Baseline []CaseResult // MemoryOnce, with each distinct buffer of the cases
	Cases    []CaseResult
	// LoadBefore and LoadAfter are /proc/loadavg's 1, 5 and 15 minute
	// averages before and after the runs: how busy the machine was.
	LoadBefore, LoadAfter string
}

// Run measures every case Runs times, interleaved: each round copies once
// with every case, starting one case further along than the round before,
// so that no case always follows the same neighbour or runs first; a
// round begins with the in-memory baselines.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Size <= 0 || opts.Runs <= 0 || len(opts.Cases) == 0 {
		return nil, fmt.Errorf("streamcopy: nothing to run (size %d, runs %d, %d cases)", opts.Size, opts.Runs, len(opts.Cases))
	}
	if opts.PatternSize <= 0 {
		opts.PatternSize = DefaultPatternSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	pat, err := NewPattern(opts.PatternSize)
	if err != nil {
		return nil, err
	}
	rep := &Report{Opts: opts, Start: time.Now(), LoadBefore: loadAverage()}
	defer func() { rep.LoadAfter = loadAverage() }()
	for _, c := range opts.Cases {
		rep.Cases = append(rep.Cases, CaseResult{Case: c})
		if !slices.ContainsFunc(rep.Baseline, func(b CaseResult) bool { return b.Case.Buffer == c.Buffer }) {
			rep.Baseline = append(rep.Baseline, CaseResult{Case: Case{Transport: memory, Buffer: c.Buffer}})
		}
	}
	for round := range opts.Runs {
		for i := range rep.Baseline {
			b := &rep.Baseline[i]
			b.Runs = append(b.Runs, MemoryOnce(pat, opts.Size, b.Case.Buffer))
			progress(opts.Progress, round, b)
		}
		for k := range rep.Cases {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			cr := &rep.Cases[(k+round)%len(rep.Cases)]
			cr.Runs = append(cr.Runs, CopyOnce(ctx, cr.Case, pat, opts.Size, opts.Timeout))
			progress(opts.Progress, round, cr)
		}
	}
	return rep, nil
}

// loadAverage returns the first three fields of /proc/loadavg, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// memory names the no-transport baseline.
var memory = Transport{Key: "memory", Name: "in memory, no transport"}

func progress(w io.Writer, round int, cr *CaseResult) {
	if w == nil {
		return
	}
	r := cr.Runs[len(cr.Runs)-1]
	name := cr.Case.Transport.Name + ", " + cr.Case.CopyName()
	if r.Err != nil {
		fmt.Fprintf(w, "run %d: %s: error: %v\n", round+1, name, r.Err)
		return
	}
	fmt.Fprintf(w, "run %d: %s: %.0f MB/s, %.3f s CPU/GiB\n", round+1, name, mbps(r.Bytes, r.Wall), cpuPerGiB(r.CPU, r.Bytes))
}
