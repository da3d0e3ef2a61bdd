package fanout

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/procstat"
)

// sendQueue returns the bytes in the send queue of the TCP socket whose
// local address is local and whose peer is remote (IPv4), from
// /proc/net/tcp: the server's kernel buffer for one of its connections,
// read from outside the server.
func sendQueue(local, remote string) (int, error) {
	lk, err := procAddr(local)
	if err != nil {
		return 0, err
	}
	rk, err := procAddr(remote)
	if err != nil {
		return 0, err
	}
	f, err := os.Open("/proc/net/tcp")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "sl local_address rem_address st tx_queue:rx_queue ..."
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 || fields[1] != lk || fields[2] != rk {
			continue
		}
		tx, _, _ := strings.Cut(fields[4], ":")
		n, err := strconv.ParseInt(tx, 16, 64)
		return int(n), err
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no socket %s -> %s in /proc/net/tcp", local, remote)
}

// procAddr writes an IPv4 address and port as /proc/net/tcp does: the
// address as a little-endian 32-bit word, both in upper-case hex.
func procAddr(hostport string) (string, error) {
	ap, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		return "", err
	}
	ip := ap.IP.To4()
	if ip == nil {
		return "", fmt.Errorf("%s is not IPv4", hostport)
	}
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ap.Port), nil
}

// cpuSplit returns the user and the system CPU time pid has used, all
// threads, from /proc/<pid>/stat (10 ms ticks): procstat.CPUTime gives
// their sum; the split says how much of a server's cost is the kernel's.
func cpuSplit(pid int) (user, sys time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name, in parentheses, may hold spaces: fields are
	// counted from the last ')'. utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("short /proc/%d/stat", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad CPU times in /proc/%d/stat", pid)
	}
	tick := time.Second / procstat.ClockTicksPerSecond
	return time.Duration(u) * tick, time.Duration(s) * tick, nil
}
