package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/xconnect"
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

// -http2 runs the cases over HTTP/2 against an HTTP/2 server, trusting
// its certificate with -cacert; without wss:// it is a usage error, and
// against a server without HTTP/2 the first connection says so.
func TestConformanceHTTP2(t *testing.T) {
	xconnect.Require(t)
	leakcheck.Check(t)
	var h2 atomic.Int32
	url, caFile := serveH2(t, func(r *http.Request) {
		if r.ProtoMajor == 2 {
			h2.Add(1)
		}
	})
	code, out, errOut := runCmd("conformance", "server", "-http2", "-cacert", caFile, "-url", url, "-cases", "1.1.*,2.1", "-report-dir", t.TempDir())
	if code != exitNormal || !strings.Contains(out, "over HTTP/2") || !strings.Contains(out, "0 failed") || h2.Load() < 9 {
		t.Errorf("exit %d, %d HTTP/2 requests, stderr %q\n%s", code, h2.Load(), errOut, out)
	}
	if code, _, errOut := runCmd("conformance", "server", "-http2", "-url", "ws://127.0.0.1:1"); code != exitUsage || !strings.Contains(errOut, "-http2 needs a wss:// URL") {
		t.Errorf("-http2 with ws://: exit %d, stderr %q", code, errOut)
	}
	plain := httptest.NewTLSServer(http.NotFoundHandler())
	defer plain.Close()
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: plain.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runCmd("conformance", "server", "-http2", "-cacert", caFile, "-url", "wss://"+plain.Listener.Addr().String(), "-report-dir", t.TempDir())
	if code != exitRefused || !strings.Contains(errOut, "does not offer WebSockets over HTTP/2") {
		t.Errorf("a server without HTTP/2: exit %d, stderr %q", code, errOut)
	}
}
