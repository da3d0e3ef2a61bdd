package interop

import (
	"bytes"
	"context"
	"fmt"
	"github.com/fastws/fastws/internal/testtime"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Where the peers live. Python must be Debian's, which has the
// python3-websockets package: the python3 first on PATH may be another
// build without it.
const (
	pythonPath   = "/usr/bin/python3"
	chromiumPath = "/usr/bin/chromium"
	nodeDir      = "node" // relative to this package's directory
	installHint  = "install the peers with `bash scripts/install-peers.sh` (from the repository root)"
	requireEnv   = "FASTWS_REQUIRE_PEERS"
)

// requirePeers skips the test, naming what is missing and how to install
// it, or fails it when FASTWS_REQUIRE_PEERS=1.
func requirePeers(t *testing.T, missing ...string) {
	t.Helper()
	if len(missing) == 0 {
		return
	}
	msg := "missing peer: " + strings.Join(missing, "; ") + "; " + installHint
	if os.Getenv(requireEnv) == "1" {
		t.Fatal(msg + " (" + requireEnv + "=1, so a missing peer is a failure)")
	}
	t.Skip(msg)
}

// missingNode lists what the Node peers lack: node itself and the npm
// packages named.
func missingNode(packages ...string) []string {
	var missing []string
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node (Node.js) is not on PATH")
	}
	for _, p := range packages {
		if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", p, "package.json")); err != nil {
			missing = append(missing, fmt.Sprintf("npm package %s is not in interop/node/node_modules (npm ci there)", p))
		}
	}
	return missing
}

// pythonWebsockets reports once whether Debian's Python can import
// websockets, and if not what is missing.
var pythonWebsockets = sync.OnceValue(func() string {
	if _, err := os.Stat(pythonPath); err != nil {
		return pythonPath + " (Debian's python3) does not exist"
	}
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(20*time.Second))
	defer cancel()
	cmd := exec.CommandContext(ctx, pythonPath, "-c", "import websockets")
	cmd.Env = pythonEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Sprintf("%s cannot import websockets (Debian package python3-websockets): %v: %s",
			pythonPath, err, lines[len(lines)-1])
	}
	return ""
})

func missingPython() []string {
	if m := pythonWebsockets(); m != "" {
		return []string{m}
	}
	return nil
}

func missingChromium() []string {
	missing := missingNode("playwright-core")
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" does not exist (Debian package chromium)")
	}
	return missing
}

// pythonEnv is the environment for Debian's Python: nothing that points
// it at another installation, and no bytecode written into the tree.
func pythonEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PYTHONHOME=") && !strings.HasPrefix(kv, "PYTHONPATH=") {
			env = append(env, kv)
		}
	}
	return append(env, "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
}

// syncBuffer is a bytes.Buffer safe for a process's output copier and the
// test to use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// peerProcess is a peer script running for one test.
type peerProcess struct {
	name    string
	cmd     *exec.Cmd
	stderr  syncBuffer
	done    chan struct{} // closed once the process exited and its output is copied
	waitErr error         // valid after done
}

// startPeer starts argv with stdout going to stdout. The process gets
// SIGTERM when timeout passes or the test ends, whichever is first, and
// SIGKILL 5 s later; the test's cleanup waits until it is gone, and shows
// its stderr if the test failed or runs with -v.
func startPeer(t *testing.T, timeout time.Duration, env []string, stdout *lineWriter, argv ...string) *peerProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	p := &peerProcess{name: scriptName(argv), done: make(chan struct{})}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = &p.stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	p.cmd = cmd
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", strings.Join(argv, " "), err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		stdout.finish()
		cancel()
		close(p.done)
	}()
	t.Cleanup(func() {
		cancel()
		<-p.done
		if t.Failed() || testing.Verbose() {
			if s := p.stderr.String(); s != "" {
				t.Logf("%s stderr:\n%s", p.name, s)
			}
		}
	})
	return p
}

// scriptName is the script argv runs, for messages.
func scriptName(argv []string) string {
	for _, a := range argv[1:] {
		if strings.HasSuffix(a, ".js") || strings.HasSuffix(a, ".py") {
			return filepath.Base(a)
		}
	}
	return argv[0]
}

// lineWriter hands a process's output to the test line by line.
type lineWriter struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	ended   bool
	changed chan struct{} // closed and replaced whenever lines or ended change
}

func newLineWriter() *lineWriter { return &lineWriter{changed: make(chan struct{})} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.lines = append(w.lines, string(bytes.TrimRight(w.partial[:i], "\r")))
		w.partial = w.partial[i+1:]
		w.notifyLocked()
	}
	return len(p), nil
}

// finish records that the output ended; a last line without a newline
// still counts.
func (w *lineWriter) finish() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.lines = append(w.lines, string(w.partial))
		w.partial = nil
	}
	w.ended = true
	w.notifyLocked()
}

func (w *lineWriter) notifyLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// waitLine waits until accept holds for one of the lines so far, which
// it returns, or the output ends, or timeout passes.
func (w *lineWriter) waitLine(timeout time.Duration, accept func(string) bool) (string, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		for _, l := range w.lines {
			if accept(l) {
				w.mu.Unlock()
				return l, nil
			}
		}
		ended, changed := w.ended, w.changed
		w.mu.Unlock()
		if ended {
			return "", fmt.Errorf("the output ended")
		}
		select {
		case <-changed:
		case <-deadline.C:
			return "", fmt.Errorf("not within %v", timeout)
		}
	}
}

// all returns the lines so far.
func (w *lineWriter) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines...)
}
