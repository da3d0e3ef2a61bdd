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
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// The demo page in headless Chromium, driven as a user would
// (interop/node/demo-page-driver.js): a long message wraps inside the log,
// and when the server shuts down the page says so, with the close code,
// and disables its input. Skipped, saying what is missing, without Node,
// playwright-core or Chromium (scripts/install-peers.sh installs them);
// FASTWS_REQUIRE_PEERS=1 makes that a failure.
func TestDemoPageInChromium(t *testing.T) {
	nodeDir := filepath.Join("..", "..", "interop", "node")
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing = append(missing, "playwright-core is not in interop/node/node_modules")
	}
	if _, err := os.Stat("/usr/bin/chromium"); err != nil {
		missing = append(missing, "/usr/bin/chromium is not installed")
	}
	if len(missing) > 0 {
		msg := "missing: " + strings.Join(missing, "; ") + "; install with `bash scripts/install-peers.sh`"
		if os.Getenv("FASTWS_REQUIRE_PEERS") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
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
	cmd := exec.CommandContext(ctx, "node", filepath.Join(nodeDir, "demo-page-driver.js"), "http://"+ln.Addr().String()+"/", t.TempDir())
	cmd.WaitDelay = 5 * time.Second
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
		Wraps         bool   `json:"wraps"`
		Status        string `json:"status"`
		InputDisabled bool   `json:"inputDisabled"`
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
}
