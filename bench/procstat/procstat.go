// Package procstat reads what the benchmark needs to know about processes
// from Linux's /proc and from getrusage: CPU time, resident memory, the CPU
// model, and the file-descriptor limit.
package procstat

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ClockTicksPerSecond is sysconf(_SC_CLK_TCK), the unit of the CPU times
// in /proc/<pid>/stat. The kernel reports them in USER_HZ, which is 100 on
// every Linux architecture Go supports; reading it via sysconf would need
// cgo.
const ClockTicksPerSecond = 100

// CPUTime returns the user plus system CPU time pid has used, all threads
// included, at the 10 ms resolution of /proc/<pid>/stat.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name is in parentheses and may itself contain spaces
	// and parentheses, so the fields are counted from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("procstat: malformed /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	// After the name: state(3) ppid(4) ... utime(14) stime(15), so utime
	// is the 12th field here.
	const utimeField, stimeField = 11, 12
	if len(fields) <= stimeField {
		return 0, fmt.Errorf("procstat: short /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[utimeField], 10, 64)
	stime, err2 := strconv.ParseInt(fields[stimeField], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("procstat: bad CPU times in /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * time.Second / ClockTicksPerSecond, nil
}

// SelfCPUTime returns the user plus system CPU time of this process, from
// getrusage at microsecond resolution.
func SelfCPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// RSS returns the resident set size of pid in bytes (VmRSS).
func RSS(pid int) (int64, error) {
	v, err := statusField(pid, "VmRSS:")
	if err != nil {
		return 0, err
	}
	// The value reads like "12345 kB".
	f := strings.Fields(v)
	if len(f) != 2 || f[1] != "kB" {
		return 0, fmt.Errorf("procstat: unexpected VmRSS %q", v)
	}
	kb, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, err
	}
	return kb << 10, nil
}

func statusField(pid int, name string) (string, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name); ok {
			return strings.TrimSpace(v), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("procstat: no %s in /proc/%d/status", name, pid)
}

// CPUModel returns the first "model name" of /proc/cpuinfo, or "unknown".
func CPUModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// RaiseFileLimit raises the soft RLIMIT_NOFILE to the hard limit and
// returns the soft limit now in force.
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return 0, err
		}
	}
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	return lim.Cur, nil
}
