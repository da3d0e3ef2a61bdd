package harness

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ParseCPUs reads a comma-separated list of CPU numbers ("0" or "0,1").
func ParseCPUs(list string) ([]int, error) {
	var cpus []int
	for f := range strings.SplitSeq(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("cpu list %q: %q is not a CPU number", list, f)
		}
		cpus = append(cpus, n)
	}
	return cpus, nil
}

// PinProcess restricts every thread of this process to cpus. Threads the
// runtime starts later inherit the mask from the thread that starts them,
// and so do child processes (the servers), so one call pins the load
// generator and every server it runs.
//
// It exists for cells whose cost is mostly data moving between CPUs: at
// 10 × 64 KiB on a 2-vCPU VM, a server and a load generator on one CPU
// spend about 22.5 µs per message whatever the server, while on two CPUs
// the same run costs 22.5 or 30–50 µs, changing from run to run
// (bench/results/echo-2026-12-04-placement.md).
func PinProcess(cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	// A thread started by one not yet pinned escapes a pass; a second
	// pass that finds no new thread closes that window.
	pinned := map[int]bool{}
	for pass := 0; pass < 5; pass++ {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		fresh := 0
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil || pinned[tid] {
				continue
			}
			if err := unix.SchedSetaffinity(tid, &set); err != nil {
				return fmt.Errorf("pinning thread %d to CPUs %v: %w", tid, cpus, err)
			}
			pinned[tid] = true
			fresh++
		}
		if fresh == 0 {
			return nil
		}
	}
	return fmt.Errorf("pinning to CPUs %v: threads kept appearing", cpus)
}
