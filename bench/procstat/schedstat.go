package procstat

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RunTime returns the time pid's threads have spent on a CPU, summed over
// /proc/<pid>/task/*/schedstat, in nanoseconds: where CPUTime counts
// 10 ms ticks, this resolves a few milliseconds of work. Threads that have
// exited are no longer counted (a Go program rarely ends a thread), and
// it needs a kernel with schedstats (CONFIG_SCHED_INFO).
func RunTime(pid int) (time.Duration, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil {
		return 0, err
	}
	if len(tasks) == 0 {
		return 0, fmt.Errorf("procstat: no schedstat for process %d", pid)
	}
	var sum time.Duration
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
				continue // the thread ended between the glob and the read
			}
			return 0, err
		}
		// "run-time wait-time timeslices", the first in nanoseconds.
		f := strings.Fields(string(b))
		if len(f) == 0 {
			return 0, fmt.Errorf("procstat: empty %s", path)
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("procstat: bad %s: %w", path, err)
		}
		sum += time.Duration(ns)
	}
	return sum, nil
}
