package fanout

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/fastws/fastws/bench/harness"
)

// Command returns the command that runs the server called name as a
// child process which calls ServeChild, joined to the NATS server at
// natsURL if it is not empty. The bench command re-executes itself; the
// test re-executes the test binary.
type Command func(name, natsURL string) *exec.Cmd

// serverProcess is a running fan-out server.
type serverProcess struct {
	*harness.Child
	name   string
	addr   string // the WebSocket endpoint
	debug  string // the debug endpoint
	nofile uint64
	http   *http.Client
}

// startServer starts a server process and waits for its ready line.
func startServer(command Command, name, natsURL string) (*serverProcess, error) {
	child, line, err := harness.StartChild(command(name, natsURL), name, nil)
	if err != nil {
		return nil, err
	}
	p := &serverProcess{Child: child, name: name, http: &http.Client{Timeout: 10 * time.Second}}
	if _, err := fmt.Sscanf(line, "%s debug %s nofile %d", &p.addr, &p.debug, &p.nofile); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%s: bad ready line %q", name, line)
	}
	return p, nil
}

func (p *serverProcess) pid() int     { return p.Pid() }
func (p *serverProcess) alive() error { return p.Alive() }
func (p *serverProcess) stop()        { p.Stop() }

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
