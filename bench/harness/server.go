package harness

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/bench/servers"
)

// freedLine is the line a server process prints when it has collected
// its garbage and returned free memory to the OS, on collectSignal.
const freedLine = "freed"

// collectSignal asks a server process to run the garbage collector and
// return free memory to the OS (the compressed memory section's last
// reading).
const collectSignal = syscall.SIGUSR1

// ServerCommand returns the command that runs the echo server called name,
// with permessage-deflate if compress is set, as a child process which
// calls ServeChild. The bench command re-executes itself with -serve; the
// test re-executes the test binary.
type ServerCommand func(name string, compress bool) *exec.Cmd

// ServeChild is the body of a server process: it raises the file limit,
// listens on addr, prints the ready line to stdout and serves until the
// process is killed. It returns only on failure.
func ServeChild(name string, compress bool, addr string, stdout io.Writer) error {
	if !servers.Known(name) {
		return fmt.Errorf("unknown server %q (have %s)", name, strings.Join(servers.Names, ", "))
	}
	if compress && !servers.KnownCompressed(name) {
		return fmt.Errorf("no compressed server %q (have %s)", name, strings.Join(servers.Compressed, ", "))
	}
	return ServeChildWith(name, servers.Options{Compress: compress, Limit: servers.MaxMessageSize}, addr, stdout)
}

// ServeChildWith is ServeChild with the server's options given in full:
// the memory battery's servers run with each library's own message limit
// or another, and nbio with compression.
func ServeChildWith(name string, o servers.Options, addr string, stdout io.Writer) error {
	if !servers.Known(name) {
		return fmt.Errorf("unknown server %q (have %s)", name, strings.Join(servers.Names, ", "))
	}
	if err := o.Check(name); err != nil {
		return err
	}
	if host, _, err := net.SplitHostPort(addr); err != nil {
		return err
	} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		// The servers accept any origin and have no authentication:
		// they are for this machine only.
		return fmt.Errorf("address %q is not a loopback IP address", addr)
	}
	if err := startProfile(); err != nil {
		return fmt.Errorf("starting the profile: %w", err)
	}
	nofile, err := procstat.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raising the file limit: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var mu sync.Mutex // stdout is written from two goroutines
	collect := make(chan os.Signal, 1)
	signal.Notify(collect, collectSignal)
	go func() {
		for range collect {
			// Two cycles: the first moves sync.Pool contents to the
			// victim cache, the second frees them; FreeOSMemory runs a
			// third and returns the free pages.
			runtime.GC()
			debug.FreeOSMemory()
			mu.Lock()
			fmt.Fprintln(stdout, freedLine)
			mu.Unlock()
		}
	}()
	mu.Lock()
	fmt.Fprintf(stdout, "%s%s nofile %d\n", ReadyPrefix, ln.Addr(), nofile)
	mu.Unlock()
	return servers.ServeWith(name, ln, o)
}

// serverProcess is a running echo server.
type serverProcess struct {
	*Child
	addr   string
	nofile uint64
	freed  chan struct{} // a freedLine arrived
}

// startServer starts the server process and waits for its ready line.
func startServer(command ServerCommand, name string, compress bool) (*serverProcess, error) {
	p := &serverProcess{freed: make(chan struct{}, 1)}
	child, line, err := StartChild(command(name, compress), name, func(line string) {
		if line == freedLine {
			select {
			case p.freed <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		return nil, err
	}
	p.Child = child
	if _, err := fmt.Sscanf(line, "%s nofile %d", &p.addr, &p.nofile); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%s: bad ready line %q", name, line)
	}
	return p, nil
}

func (p *serverProcess) pid() int     { return p.Pid() }
func (p *serverProcess) alive() error { return p.Alive() }
func (p *serverProcess) stop()        { p.Stop() }

// collectGarbage has the server process run its garbage collector and
// return free memory to the OS, and waits until it has.
func (p *serverProcess) collectGarbage(timeout time.Duration) error {
	select { // a stale notice
	case <-p.freed:
	default:
	}
	if err := p.Cmd.Process.Signal(collectSignal); err != nil {
		return err
	}
	select {
	case <-p.freed:
		return nil
	case <-p.Exited:
		return p.alive()
	case <-time.After(timeout):
		return errors.New(p.Name + ": no answer to the garbage-collection signal")
	}
}

// NewTailBuffer returns a TailBuffer that keeps the last max bytes.
func NewTailBuffer(max int) *TailBuffer { return &TailBuffer{max: max} }

// TailBuffer keeps the last max bytes written to it: a child process's
// stderr, for the error that says why it died.
type TailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := strings.TrimSpace(string(t.b))
	if s == "" {
		return "(no stderr)"
	}
	return s
}
