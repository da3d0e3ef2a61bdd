//go:build unix

package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// serveProcess is `fastws serve` running as a child process (see
// TestMain).
type serveProcess struct {
	cmd    *exec.Cmd
	addr   string
	lines  chan string // its stdout after the first line
	exited chan error
}

func startServeProcess(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "FASTWS_TEST_MAIN="+strings.Join(append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), "\t"))
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, lines: make(chan string, 100), exited: make(chan error, 1)}
	out := bufio.NewScanner(stdout)
	go func() {
		for out.Scan() {
			p.lines <- out.Text()
		}
		close(p.lines)
		p.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("fastws serve %v stderr:\n%s", args, stderr.String())
		}
	})
	select {
	case first := <-p.lines:
		rest, ok := strings.CutPrefix(first, "fastws serve: chat at http://")
		addr, _, ok2 := strings.Cut(rest, "/")
		if !ok || !ok2 {
			t.Fatalf("first line %q", first)
		}
		p.addr = addr
	case <-time.After(testtime.Limit(20 * time.Second)):
		t.Fatal("fastws serve did not start")
	}
	return p
}

// stop sends SIGTERM and checks that the process exits 0.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range p.lines {
	}
	select {
	case err := <-p.exited:
		p.exited <- err // for the cleanup
		if err != nil {
			t.Fatalf("fastws serve exited with %v", err)
		}
	case <-time.After(testtime.Limit(20 * time.Second)):
		t.Fatal("fastws serve did not exit after SIGTERM")
	}
}

// Two `fastws serve -nats` processes on two ports share a room through a
// NATS server; SIGTERM closes one's clients with 1001, and the other
// node's clients see them leave.
func TestServeProcessesShareRooms(t *testing.T) {
	leakcheck.Check(t)
	url := startNATS(t)
	a := startServeProcess(t, "-nats", url)
	b := startServeProcess(t, "-nats", url)
	if a.addr == b.addr {
		t.Fatalf("both on %s", a.addr)
	}
	alice := dialChat(t, a.addr, "alice", "/chat")
	bob := dialChat(t, b.addr, "bob", "/chat")
	alice.join("lobby", "alice")
	alice.expect(joined("lobby", "alice"))
	bob.join("lobby", "bob")
	bob.waitMembers("lobby", "alice", "bob")
	alice.waitMembers("lobby", "alice", "bob")
	bob.say("from the other process")
	alice.waitFor("bob's message", isMessage("bob", "from the other process"))

	a.stop(t)
	<-alice.done
	var ce *fastws.CloseError
	if !errors.As(alice.err, &ce) || ce.Code != fastws.CloseGoingAway {
		t.Errorf("alice's connection ended with %v, want 1001", alice.err)
	}
	bob.waitFor("alice leaving", isLeft("lobby", "alice"))
	bob.waitMembers("lobby", "bob")
	b.stop(t)
}
