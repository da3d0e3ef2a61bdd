package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fastws/fastws/internal/leakcheck"
)

// The conformance command against fastws's echo server: one case, said
// in the singular, reports filed under the server's address, -open
// printing the HTML report's URL, exit 0.
func TestConformanceCommand(t *testing.T) {
	leakcheck.Check(t)
	url := startEcho(t, defaultFlags())
	dir := t.TempDir()
	code, out, errOut := runCmd("conformance", "server", "-url", url, "-cases", "1.1.1", "-report-dir", dir, "-open")
	if code != exitNormal {
		t.Fatalf("exit %d, stderr %q\n%s", code, errOut, out)
	}
	host := strings.ReplaceAll(strings.TrimPrefix(url, "ws://"), ":", "-")
	html := filepath.Join(dir, host+"-server.html")
	if _, err := os.Stat(html); err != nil {
		t.Fatalf("report: %v; stderr %q", err, errOut)
	}
	for _, want := range []string{host + " (testee server), 1 case\n", "1 case: OK 1", "1 passed, 0 failed", "report: file://" + html + "\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// A server that cannot be reached stops the run at once with one line,
// instead of failing every case one by one.
func TestConformanceUnreachable(t *testing.T) {
	leakcheck.Check(t)
	addr := closedPort(t)
	code, out, errOut := runCmd("conformance", "server", "-url", "ws://"+addr, "-report-dir", t.TempDir())
	want := "fastws conformance server: nothing accepts connections at " + addr + " (connection refused): is the server running, on this port?\n"
	if code != exitNetwork || out != "" || errOut != want {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}
