package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// nodeDir holds the Node scripts that drive Chromium, and their
// node_modules.
var nodeDir = filepath.Join("..", "..", "interop", "node")

// requireChromium skips the test, naming what is missing and how to
// install it, when Node, playwright-core or Debian's Chromium is absent;
// with FASTWS_REQUIRE_PEERS=1 that is a failure instead. It is package
// interop's check, which this package cannot import.
func requireChromium(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node (Node.js) is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "npm package playwright-core is not in interop/node/node_modules")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		missing = append(missing, "/usr/bin/chromium does not exist (Debian package chromium)")
	}
	if len(missing) == 0 {
		return
	}
	msg := "missing peer: " + strings.Join(missing, "; ") + "; install the peers with `bash scripts/install-peers.sh` (from the repository root)"
	if os.Getenv("FASTWS_REQUIRE_PEERS") == "1" {
		t.Fatal(msg + " (FASTWS_REQUIRE_PEERS=1, so a missing peer is a failure)")
	}
	t.Skip(msg)
}

// driverCommand runs a driver script under ctx; when ctx ends it gets
// SIGTERM, on which playwright closes the browser, and SIGKILL 5 s later.
func driverCommand(ctx context.Context, script string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(nodeDir, script)}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// The chat page in headless Chromium, driven as a user would
// (interop/node/demo-page-driver.js): a long message wraps inside the log,
// and when the server shuts down the page says so, with the close code,
// and disables its input.
func TestDemoPageInChromium(t *testing.T) {
	requireChromium(t)
	leakcheck.Check(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newDemoServer(defaultFlags())
	go srv.Serve(ln)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(2*time.Minute))
	defer cancel()
	cmd := driverCommand(ctx, "demo-page-driver.js", "http://"+ln.Addr().String()+"/", t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		cmd.Wait()
		t.Fatalf("the page did not get its long message back: %q\n%s", lines.Text(), stderr.String())
	}
	shutdownCtx, cancelShutdown := context.WithTimeout(ctx, testtime.Limit(10*time.Second))
	defer cancelShutdown()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
	var seen struct {
		Wraps         bool     `json:"wraps"`
		Status        string   `json:"status"`
		InputDisabled bool     `json:"inputDisabled"`
		Log           []string `json:"log"`
	}
	if !lines.Scan() || json.Unmarshal(lines.Bytes(), &seen) != nil {
		cmd.Wait()
		t.Fatalf("no report from the driver: %q\n%s", lines.Text(), stderr.String())
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("driver: %v\n%s", err, stderr.String())
	}
	if !seen.Wraps {
		t.Error("a long message widened the page instead of wrapping")
	}
	if !seen.InputDisabled || !strings.Contains(seen.Status, "closed (1001 server shutting down)") {
		t.Errorf("after the server shut down the page shows %q, input disabled: %v", seen.Status, seen.InputDisabled)
	}
	if !strings.Contains(strings.Join(seen.Log, "\n"), "closed (1001 server shutting down)") {
		t.Errorf("the log does not say the server closed: %q", seen.Log)
	}
}
