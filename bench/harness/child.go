package harness

import (
	"bufio"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// ReadyPrefix starts the line a server process prints once it listens:
// the rest of the line says where, and what else the bench needs.
const ReadyPrefix = "listening "

// StartTimeout bounds how long a server process may take to listen.
const StartTimeout = 15 * time.Second

// A Child is a server process a bench started: the tail of its stderr,
// for the error that says why it died, and a channel closed when it
// exits. The echo bench and the fan-out bench run their servers this way.
type Child struct {
	Name   string
	Cmd    *exec.Cmd
	Stderr *TailBuffer
	Exited chan struct{}
}

// StartChild starts cmd, which dies with the bench even if the bench is
// killed, and waits up to StartTimeout for the stdout line that starts
// with ReadyPrefix; it returns the rest of that line. Every other line
// goes to other (nil: dropped): the pipe is read to its end, so it
// never fills.
func StartChild(cmd *exec.Cmd, name string, other func(line string)) (*Child, string, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	c := &Child{Name: name, Cmd: cmd, Stderr: NewTailBuffer(4 << 10), Exited: make(chan struct{})}
	cmd.Stderr = c.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	go func() {
		_ = cmd.Wait()
		close(c.Exited)
	}()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), ReadyPrefix); ok {
				select {
				case ready <- line:
				default:
				}
			} else if other != nil {
				other(sc.Text())
			}
		}
	}()
	select {
	case line := <-ready:
		return c, line, nil
	case <-c.Exited:
		return nil, "", fmt.Errorf("%s: server exited before listening: %s", name, c.Stderr)
	case <-time.After(StartTimeout):
		c.Stop()
		return nil, "", fmt.Errorf("%s: server not listening after %v", name, StartTimeout)
	}
}

// Pid is the process's ID.
func (c *Child) Pid() int { return c.Cmd.Process.Pid }

// Alive returns an error if the process has exited.
func (c *Child) Alive() error {
	select {
	case <-c.Exited:
		return fmt.Errorf("%s: server exited: %s", c.Name, c.Stderr)
	default:
		return nil
	}
}

// Stop asks the process to end with SIGTERM (a profiling server writes
// its profiles then; the others die at once) and kills it if it has not
// gone after a few seconds.
func (c *Child) Stop() {
	_ = c.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.Exited:
		return
	case <-time.After(5 * time.Second):
	}
	_ = c.Cmd.Process.Kill()
	select {
	case <-c.Exited:
	case <-time.After(5 * time.Second):
	}
}
