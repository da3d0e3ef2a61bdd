package interop

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// TestChromiumToFastwsServer has headless Chromium load browser/index.html
// from a fastws server and run the browser's echo list against the same
// origin, under fastws's default origin policy, then checks the page's
// report and what the server saw.
func TestChromiumToFastwsServer(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingChromium()...)
	e := newEchoServer(t, nil) // same-origin: the page comes from this server
	e.mux.Handle("GET /", http.FileServer(http.Dir("browser")))
	profile := t.TempDir() // a new, empty --user-data-dir
	t.Cleanup(func() { killBrowserLeftovers(t, profile) })
	rep, exitErr := runPeerClient(t, testtime.Limit(2*time.Minute), os.Environ(),
		"node", filepath.Join(nodeDir, "chromium-driver.js"), e.httpURL+"/", profile, "100000")
	checkClientReport(t, rep, exitErr, browserListNames())
	checkEchoServerRecords(t, e, nil)
}

// killBrowserLeftovers kills, by process id, any process still running
// with profile on its command line: a Chromium the driver failed to close
// (it runs in its own process group, so stopping the driver does not reach
// it).
func killBrowserLeftovers(t *testing.T, profile string) {
	deadline := time.Now().Add(testtime.Limit(5 * time.Second))
	for {
		pids := processesMentioning(profile)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids {
				t.Logf("killing leftover browser process %d", pid)
				if p, err := os.FindProcess(pid); err == nil {
					_ = p.Kill()
				}
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// processesMentioning lists the processes whose command line contains s.
func processesMentioning(s string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(s)) {
			pids = append(pids, pid)
		}
	}
	return pids
}
