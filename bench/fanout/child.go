package fanout

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"

	"github.com/fastws/fastws/bench/harness"
	"github.com/fastws/fastws/bench/procstat"
)

// ServeChild is the body of a server process: it raises the file limit,
// listens on addr (a loopback address) with the server called name, and
// on another loopback port with its debug endpoint, prints the ready
// line to stdout and serves until the process is killed. natsURL is the
// NATS server a multi-node server joins. It returns only on failure.
//
// The debug endpoint serves /stats, the server's counters and the Go
// runtime's (serverStats, as JSON), and net/http/pprof's handlers under
// /debug/pprof/, so that the bench can read allocations per delivery and
// take a CPU profile of a measured window.
func ServeChild(name, natsURL, addr string, stdout io.Writer) error {
	if host, _, err := net.SplitHostPort(addr); err != nil {
		return err
	} else if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		// The servers accept any origin and publish whatever their
		// publisher sends: they are for this machine only.
		return fmt.Errorf("address %q is not a loopback IP address", addr)
	}
	if name == natsServerName {
		return serveNATS(addr, stdout)
	}
	nofile, err := procstat.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raising the file limit: %w", err)
	}
	srv, err := newServer(name, natsURL)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	dln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go serveDebug(dln, srv)
	fmt.Fprintf(stdout, "%s%s debug %s nofile %d\n", harness.ReadyPrefix, ln.Addr(), dln.Addr(), nofile)
	return srv.serve(ln)
}

// serveDebug serves the debug endpoint on ln.
func serveDebug(ln net.Listener, srv fanoutServer) {
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, _ *http.Request) {
		var st serverStats
		srv.stats(&st)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		st.Mallocs, st.TotalAlloc, st.NumGC = ms.Mallocs, ms.TotalAlloc, ms.NumGC
		st.Goroutines = runtime.NumGoroutine()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(&st)
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	_ = hs.Serve(ln)
}
