package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws"
)

// row is one cell's figures.
type row struct {
	mode                          string
	n                             int
	tcp                           int64
	h2                            int64
	dial                          time.Duration
	serverGo, serverRSS, client   float64 // bytes per WebSocket
	msgsPerSec, serverCPUPerMsgUs float64
}

func runBench(conns []int, size int, window time.Duration, frame int, out string) error {
	var rows []row
	for _, n := range conns {
		for _, mode := range []fastws.HTTP2Mode{fastws.HTTP2Only, fastws.HTTP2Off} {
			r, err := runCell(mode, n, size, window, frame)
			if err != nil {
				return err
			}
			rows = append(rows, r)
			fmt.Fprintf(os.Stderr, "h2bench: %s × %d done\n", r.mode, n)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# WebSockets over one HTTP/2 connection vs HTTP/1.1 (%s)\n\n", time.Now().Format("2006-01-02"))
	frameNote := "Go's default MaxReadFrameSize (1 MiB)"
	if frame > 0 {
		frameNote = fmt.Sprintf("MaxReadFrameSize %d", frame)
	}
	fmt.Fprintf(&b, "Server HTTP/2: %s.\n\n", frameNote)
	fmt.Fprintf(&b, "`go run ./cmd/h2bench` in bench/: a fastws TLS echo server (child process, HTTP/2 streams unlimited) and fastws's Dial in this process, %d B binary messages, each WebSocket in a closed loop for %s; memory after GC and FreeOSMemory, divided by the WebSockets; %d CPUs.\n\n", size, window, runtime.NumCPU())
	b.WriteString("| transport | WebSockets | server TCP conns | dial all | server Go heap+stacks / WS | server RSS / WS | client Go heap+stacks / WS | msgs/s | server CPU / msg |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %d | %d | %.0f ms | %.1f KiB | %.1f KiB | %.1f KiB | %.0f | %.1f µs |\n",
			r.mode, r.n, r.tcp, r.dial.Seconds()*1000, r.serverGo/1024, r.serverRSS/1024, r.client/1024, r.msgsPerSec, r.serverCPUPerMsgUs)
	}
	fmt.Print(b.String())
	if out != "" {
		return os.WriteFile(out, []byte(b.String()), 0o644)
	}
	return nil
}

// server is the child process serving the cell.
type server struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  string
	stats string
	tls   *tls.Config
}

func startServer(frame int) (*server, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "-serve", fmt.Sprintf("-max-read-frame=%d", frame))
	env := []string{"GODEBUG=http2xconnect=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	cmd.Env, cmd.Stderr = env, os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 {
		cmd.Process.Kill()
		return nil, fmt.Errorf("server said %q: %v", line, err)
	}
	der, err := base64.StdEncoding.DecodeString(f[2])
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &server{cmd: cmd, stdin: stdin, addr: f[0], stats: f[1], tls: &tls.Config{RootCAs: roots}}, nil
}

func (s *server) get(gc bool) (serverStats, error) {
	var st serverStats
	url := "http://" + s.stats + "/"
	if !gc {
		url += "?gc=0"
	}
	resp, err := http.Get(url)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	return st, json.NewDecoder(resp.Body).Decode(&st)
}

func (s *server) stop() {
	s.stdin.Close()
	s.cmd.Wait()
}

// clientBytes is this process's heap in use plus stacks after a GC.
func clientBytes() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse
}

func runCell(mode fastws.HTTP2Mode, n, size int, window time.Duration, frame int) (row, error) {
	r := row{mode: map[fastws.HTTP2Mode]string{fastws.HTTP2Only: "HTTP/2", fastws.HTTP2Off: "HTTP/1.1"}[mode], n: n}
	s, err := startServer(frame)
	if err != nil {
		return r, err
	}
	defer s.stop()
	before, err := s.get(true)
	if err != nil {
		return r, err
	}
	client0 := clientBytes()
	ctx := context.Background()
	opts := &fastws.DialOptions{TLSConfig: s.tls, HTTP2: mode}
	conns := make([]*fastws.Conn, n)
	start := time.Now()
	for i := range conns {
		c, _, err := fastws.Dial(ctx, "wss://"+s.addr+"/", opts)
		if err != nil {
			return r, fmt.Errorf("dial %d: %w", i, err)
		}
		conns[i] = c
	}
	r.dial = time.Since(start)
	after, err := s.get(true)
	if err != nil {
		return r, err
	}
	r.client = float64(clientBytes()-client0) / float64(n)
	r.tcp, r.h2 = after.TCPConns, after.H2
	r.serverGo = float64(after.GoBytes-before.GoBytes) / float64(n)
	r.serverRSS = float64(after.RSS-before.RSS) / float64(n)
	if mode == fastws.HTTP2Only && r.h2 != int64(n) {
		return r, fmt.Errorf("%d of %d WebSockets went over HTTP/2", r.h2, n)
	}

	msg := make([]byte, size)
	var count atomic.Int64
	var cpu0 serverStats
	stop := make(chan struct{})
	var wg sync.WaitGroup
	measuring := atomic.Bool{}
	for _, c := range conns {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if c.WriteMessage(ctx, fastws.Binary, msg) != nil {
					return
				}
				if _, _, err := c.ReadMessage(ctx); err != nil {
					return
				}
				if measuring.Load() {
					count.Add(1)
				}
			}
		})
	}
	time.Sleep(window / 5) // warm-up
	if cpu0, err = s.get(false); err != nil {
		return r, err
	}
	measuring.Store(true)
	t0 := time.Now()
	time.Sleep(window)
	measuring.Store(false)
	elapsed := time.Since(t0)
	cpu1, err := s.get(false)
	if err != nil {
		return r, err
	}
	msgs := count.Load()
	close(stop)
	wg.Wait()
	for _, c := range conns {
		c.Close(fastws.CloseNormal, "")
	}
	r.msgsPerSec = float64(msgs) / elapsed.Seconds()
	if msgs > 0 {
		r.serverCPUPerMsgUs = float64(cpu1.CPU-cpu0.CPU) / 1000 / float64(msgs)
	}
	return r, nil
}
