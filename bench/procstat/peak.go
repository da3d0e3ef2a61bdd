package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// PeakRSS returns the high-water mark of pid's resident set size in bytes
// (VmHWM): the most it has held since it started or since ResetPeakRSS.
func PeakRSS(pid int) (int64, error) {
	return statusBytes(pid, "VmHWM:")
}

// ResetPeakRSS sets pid's VmHWM back to its current VmRSS by writing 5 to
// /proc/<pid>/clear_refs (Linux 4.0 and later), so that the next PeakRSS
// gives the peak of what happens in between. It needs the right to trace
// pid, which a parent has over its own children.
func ResetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// statusBytes reads a "NNN kB" field of /proc/<pid>/status, in bytes.
func statusBytes(pid int, name string) (int64, error) {
	v, err := statusField(pid, name)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(v)
	if len(f) != 2 || f[1] != "kB" {
		return 0, fmt.Errorf("procstat: unexpected %s %q", name, v)
	}
	kb, err := strconv.ParseInt(f[0], 10, 64)
	if err != nil {
		return 0, err
	}
	return kb << 10, nil
}
