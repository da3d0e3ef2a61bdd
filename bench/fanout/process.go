package fanout

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Command returns the command that runs the server called name as a
// child process which calls ServeChild, joined to the NATS server at
// natsURL if it is not empty. The bench command re-executes itself; the
// test re-executes the test binary.
type Command func(name, natsURL string) *exec.Cmd

// startTimeout bounds how long a server process may take to listen.
const startTimeout = 15 * time.Second

// serverProcess is a running fan-out server.
type serverProcess struct {
	name   string
	cmd    *exec.Cmd
	addr   string // the WebSocket endpoint
	debug  string // the debug endpoint
	nofile uint64
	stderr *tailBuffer
	exited chan struct{}
	http   *http.Client
}

// startServer starts a server process and waits for its ready line.
func startServer(command Command, name, natsURL string) (*serverProcess, error) {
	cmd := command(name, natsURL)
	// The server dies with the bench even if the bench is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p := &serverProcess{
		name: name, cmd: cmd, stderr: &tailBuffer{max: 4 << 10}, exited: make(chan struct{}),
		http: &http.Client{Timeout: 10 * time.Second},
	}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	ready := make(chan string, 1)
	go func() {
		// Every line is read, so that the pipe never fills.
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), readyPrefix); ok {
				select {
				case ready <- line:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-ready:
		if _, err := fmt.Sscanf(line, "%s debug %s nofile %d", &p.addr, &p.debug, &p.nofile); err != nil {
			p.stop()
			return nil, fmt.Errorf("%s: bad ready line %q", name, line)
		}
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%s: server exited before listening: %s", name, p.stderr)
	case <-time.After(startTimeout):
		p.stop()
		return nil, fmt.Errorf("%s: server not listening after %v", name, startTimeout)
	}
}

func (p *serverProcess) pid() int { return p.cmd.Process.Pid }

// alive returns an error if the process has exited.
func (p *serverProcess) alive() error {
	select {
	case <-p.exited:
		return fmt.Errorf("%s: server exited: %s", p.name, p.stderr)
	default:
		return nil
	}
}

// cpu returns the process's user and system CPU time so far (10 ms
// ticks).
func (p *serverProcess) cpu() (user, sys time.Duration, err error) { return cpuSplit(p.pid()) }

// stats reads the server's debug endpoint.
func (p *serverProcess) stats() (serverStats, error) {
	var st serverStats
	resp, err := p.http.Get("http://" + p.debug + "/stats")
	if err != nil {
		return st, fmt.Errorf("%s: stats: %w", p.name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("%s: stats: %s", p.name, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return st, fmt.Errorf("%s: stats: %w", p.name, err)
	}
	return st, nil
}

// profile fetches /debug/pprof/<kind> and writes it to path: with d > 0
// a profile of the next d (whole seconds, at least one), as the CPU
// profile ("profile") takes; with d 0 a snapshot ("heap?gc=1").
func (p *serverProcess) profile(ctx context.Context, kind string, d time.Duration, path string) error {
	url := fmt.Sprintf("http://%s/debug/pprof/%s", p.debug, kind)
	secs := 0
	if d > 0 {
		secs = max(int((d+time.Second/2)/time.Second), 1)
		url += fmt.Sprintf("?seconds=%d", secs)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	c := &http.Client{Timeout: time.Duration(secs)*time.Second + 30*time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: profile: %s", p.name, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// stop kills the process and waits for it (a few seconds at most).
func (p *serverProcess) stop() {
	_ = p.cmd.Process.Kill()
	select {
	case <-p.exited:
	case <-time.After(5 * time.Second):
	}
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return "(no stderr)"
	}
	return s
}
