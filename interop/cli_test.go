package interop

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// The fastws command, built once for the tests that run it against the
// peers' servers as a user would.
var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	cliOut  []byte
)

func fastwsCommand(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "fastws-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "fastws")
		goTool, err := exec.LookPath("go")
		if err != nil {
			cliErr = err
			return
		}
		cmd := exec.Command(goTool, "build", "-o", cliPath, "github.com/fastws/fastws/cmd/fastws")
		cliOut, cliErr = cmd.CombinedOutput()
	})
	if cliErr != nil {
		t.Fatalf("building the fastws command: %v\n%s", cliErr, cliOut)
	}
	return cliPath
}

// runCLI runs the fastws command with stdin and returns its exit status
// and outputs.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	return runCLIFrom(t, strings.NewReader(stdin), args...)
}

// runCLIFrom is runCLI with any stdin.
func runCLIFrom(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(fastwsCommand(t), args...)
	cmd.Stdin = stdin
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.WaitDelay = time.Second
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(testtime.Limit(time.Minute)):
		cmd.Process.Kill()
		<-done
		t.Fatalf("fastws %v did not end; stderr %q", args, errOut.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// cliAgainst runs fastws connect and fastws bench against a peer's echo
// server, as the README shows them.
func cliAgainst(t *testing.T, url string, compressed bool) {
	t.Helper()
	// connect: lines out, echoes back, a normal close.
	code, out, errOut := runCLI(t, "hello\n{\"n\":1}\nhéllo\n", "connect", "-q", url+"/main")
	if code != 0 || out != "hello\n{\"n\":1}\nhéllo\n" || errOut != "" {
		t.Errorf("connect: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// connect: the peer pings when asked, closes with a code of its own
	// when asked; -show-control shows both and the exit status says it.
	// Stdin stays open: its end would begin a close of our own.
	// An *os.File, which the child reads itself: exec's copy from any
	// other reader would outlive the child.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	pw.WriteString("ping-me:are-you-there\nclose:4003:bye\n")
	code, out, errOut = runCLIFrom(t, pr, "connect", "-q", "-show-control", url+"/ctl")
	pr.Close()
	if code != 1 || !strings.Contains(out, `< ping "are-you-there"`) ||
		!strings.Contains(out, `< close 4003 "bye"`) || !strings.Contains(errOut, `the server closed with 4003 "bye"`) {
		t.Errorf("connect -show-control: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// bench: every echo counted and intact.
	file := filepath.Join(t.TempDir(), "run.json")
	args := []string{"bench", "-c", "4", "-messages", "400", "-size", "20:50,1KiB:40,16KiB:10", "-json", file, url + "/bench"}
	if compressed {
		args = append(args[:1], append([]string{"-compress"}, args[1:]...)...)
	}
	code, out, errOut = runCLI(t, "", args...)
	if code != 0 {
		t.Fatalf("bench: exit %d, stderr %q\n%s", code, errOut, out)
	}
	var rep struct {
		Messages   uint64            `json:"messages"`
		Mismatches uint64            `json:"mismatches"`
		Errors     map[string]uint64 `json:"errors"`
		Extensions string            `json:"extensions"`
	}
	b, err := os.ReadFile(file)
	if err == nil {
		err = json.Unmarshal(b, &rep)
	}
	if err != nil || rep.Messages != 400 || rep.Mismatches != 0 || len(rep.Errors) != 0 || compressed != (rep.Extensions != "") {
		t.Errorf("bench: %v, report %+v\n%s", err, rep, out)
	}
}

// TestCommandAgainstNodeServer runs fastws connect and fastws bench
// against Node ws's echo server.
func TestCommandAgainstNodeServer(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingNode("ws")...)
	s := startPeerServer(t, os.Environ(), "node", filepath.Join(nodeDir, "echo-server.js"))
	cliAgainst(t, s.url, false)
}

// TestCommandAgainstPythonServer runs them against Python websockets's
// echo server, which compresses by default: bench -compress sends
// compressed messages and checks every inflated echo.
func TestCommandAgainstPythonServer(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingPython()...)
	s := startPeerServer(t, pythonEnv(), pythonPath, filepath.Join("python", "echo_server.py"))
	cliAgainst(t, s.url, true)
}
