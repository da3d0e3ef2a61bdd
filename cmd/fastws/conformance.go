package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/conformance"
)

const conformanceAbout = `usage: fastws conformance server [flags]   test a WebSocket server
       fastws conformance client [flags]   test a WebSocket client

Runs the conformance suite: the cases of RFC 6455 and RFC 7692 that the
Autobahn testsuite runs (framing, pings, fragmentation, UTF-8, close
handshake, limits, permessage-deflate), judged as Autobahn judges them.
In server mode it connects to the server at -url, which must echo every
message; in client mode it listens on -addr for a testee client that
speaks the Autobahn protocol (fastws testee-client does). It writes a
JSON and an HTML report (-report-dir), prints a summary, and exits 1 if
any case failed, so a CI job can run it.

Examples:
  fastws echo & fastws conformance server -url ws://127.0.0.1:9001 -open
  fastws conformance server -url ws://127.0.0.1:9001 -cases '1.*,5.*' -v
  fastws conformance server -http2 -url wss://127.0.0.1:8443 -cacert ca.pem
  fastws conformance client -addr 127.0.0.1:9002 & fastws testee-client -url ws://127.0.0.1:9002
`

// conformanceFlags are the flags both modes share.
type conformanceFlags struct {
	agent       string
	cases       string
	exclude     string
	caseTimeout time.Duration
	timeScale   float64
	reportDir   string
	open        bool
	verbose     bool
}

func (f *conformanceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.cases, "cases", "*", "comma-separated case patterns, e.g. '1.*,6.4.*'")
	fs.StringVar(&f.exclude, "exclude", "", "comma-separated case patterns to leave out")
	fs.DurationVar(&f.caseTimeout, "case-timeout", conformance.DefaultCaseTimeout, "longest a case may take when it sets no limit of its own (limits of cases that move much data grow with their work)")
	fs.Float64Var(&f.timeScale, "time-scale", 1, "multiply every time limit by this, for a slow testee or a busy machine")
	fs.StringVar(&f.reportDir, "report-dir", "reports", "where the JSON and HTML reports are written")
	fs.BoolVar(&f.open, "open", false, "print the HTML report's file:// URL on stdout and open it where a desktop can (xdg-open, open)")
	fs.BoolVar(&f.verbose, "v", false, "print a line per case")
}

// runConformance is `fastws conformance server|client`.
func runConformance(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" {
		w, code := stderr, exitUsage
		if len(args) > 0 {
			w, code = stdout, exitNormal
		}
		fmt.Fprint(w, conformanceAbout)
		if code == exitUsage {
			fmt.Fprintln(w, "\nRun fastws conformance server -h or fastws conformance client -h for the flags.")
		}
		return code
	}
	mode := args[0]
	if mode != "server" && mode != "client" {
		fmt.Fprintf(stderr, "fastws conformance: %q is not a mode: want server (test a server) or client (test a client)\n", mode)
		return exitUsage
	}
	name := "conformance " + mode
	fs := newFlags(name)
	var f conformanceFlags
	var url, addr *string
	var parallel *int
	var runTimeout *time.Duration
	var http2, insecure *bool
	var cacert *string
	if mode == "server" {
		url = fs.String("url", "ws://127.0.0.1:9001", "the testee server's URL")
		http2 = fs.Bool("http2", false, "open each case's WebSocket as an extended CONNECT over HTTP/2 (RFC 8441), on a connection of its own; -url must be wss://")
		insecure = fs.Bool("insecure", false, "wss: do not verify the server's certificate")
		cacert = fs.String("cacert", "", "wss: PEM file of the certificate authorities to trust instead of the system's")
		parallel = fs.Int("parallel", 0, "cases run at once (timing cases always run alone); 0 means two per CPU")
		fs.StringVar(&f.agent, "agent", "", "name the results are filed under (default: the URL's host and port)")
		f.register(fs)
	} else {
		addr = fs.String("addr", "127.0.0.1:9002", "where the suite listens for the testee client")
		runTimeout = fs.Duration("timeout", time.Hour, "longest the whole run may take")
		f.register(fs) // the results are filed under the agent name the client gives
	}
	if ok, code := parseFlags(name, fs, args[1:], conformanceAbout, stdout, stderr); !ok {
		return code
	}
	all := conformance.Cases(conformance.ServerMode)
	if mode == "client" {
		all = conformance.Cases(conformance.ClientMode)
	}
	selected := conformance.Select(all, f.cases, f.exclude)
	if len(selected) == 0 {
		fmt.Fprintf(stderr, "fastws %s: no case matches %q (minus %q)\n", name, f.cases, f.exclude)
		return exitUsage
	}
	progress := func(r *conformance.Result) {
		if f.verbose {
			fmt.Fprintf(stdout, "%-9s %s\n", r.ID, r.Result)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var rep *conformance.Report
	if mode == "server" {
		if err := checkURL(*url); err != nil {
			fmt.Fprintf(stderr, "fastws %s: %v\n", name, err)
			return exitUsage
		}
		if *http2 && !strings.HasPrefix(strings.ToLower(*url), "wss://") && !strings.HasPrefix(strings.ToLower(*url), "https://") {
			fmt.Fprintf(stderr, "fastws %s: -http2 needs a wss:// URL: WebSockets over HTTP/2 go over TLS\n", name)
			return exitUsage
		}
		var tlsConf *tls.Config
		if *insecure || *cacert != "" {
			tlsConf = &tls.Config{InsecureSkipVerify: *insecure}
			if *cacert != "" {
				pool, err := readCAs(*cacert)
				if err != nil {
					fmt.Fprintf(stderr, "fastws %s: %v\n", name, err)
					return exitUsage
				}
				tlsConf.RootCAs = pool
			}
		}
		// A server that cannot be reached would fail every case one by
		// one: one connection first says why, once.
		if fl := reachable(ctx, *url, *http2, tlsConf); fl.status != exitNormal {
			fmt.Fprintf(stderr, "fastws %s: %s\n", name, fl.line)
			fmt.Fprint(stderr, fl.details)
			return fl.status
		}
		agent := f.agent
		if agent == "" {
			agent = hostOf(*url)
		}
		var err error
		rep, err = conformance.RunServer(ctx, conformance.ServerConfig{
			URL: *url, Agent: agent, Cases: selected, Parallel: *parallel, CaseTimeout: f.caseTimeout, TimeScale: f.timeScale,
			Progress: progress, HTTP2: *http2, TLSConfig: tlsConf,
		})
		if err != nil {
			fmt.Fprintf(stderr, "fastws %s: %v\n", name, err)
			return 1
		}
	} else {
		var err error
		suite := &conformance.ClientSuite{
			Cases:       selected,
			CaseTimeout: f.caseTimeout,
			TimeScale:   f.timeScale,
			Progress:    func(_ string, r *conformance.Result) { progress(r) },
		}
		if rep, err = serveClientSuite(ctx, *addr, suite, *runTimeout, stdout); err != nil {
			fmt.Fprintf(stderr, "fastws %s: %v\n", name, err)
			return 1
		}
	}
	jsonPath, htmlPath, err := rep.WriteFiles(f.reportDir)
	if err != nil {
		fmt.Fprintf(stderr, "fastws %s: writing the reports: %v\n", name, innermost(err))
		return 1
	}
	rep.WriteSummary(stdout)
	fmt.Fprintf(stderr, "reports: %s, %s\n", jsonPath, htmlPath)
	if f.open {
		openReport(htmlPath, stdout, stderr)
	}
	if rep.Failed() > 0 {
		return 1
	}
	return 0
}

// reachable opens and closes one connection to url, the way the run will
// (over HTTP/2 only with h2, never otherwise).
func reachable(ctx context.Context, url string, h2 bool, tlsConf *tls.Config) failure {
	mode := fastws.HTTP2Off
	if h2 {
		mode = fastws.HTTP2Only
	}
	c, _, err := fastws.Dial(ctx, url, &fastws.DialOptions{HandshakeTimeout: 10 * time.Second, HTTP2: mode, TLSConfig: tlsConf})
	if err != nil {
		return dialFailure(url, "10s", err)
	}
	c.Close(fastws.CloseNormal, "")
	return failure{}
}

// hostOf is the URL's host and port, as a report name: 127.0.0.1-9001.
func hostOf(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.Host == "" {
		return "server"
	}
	return strings.ReplaceAll(u.Host, ":", "-")
}

// openReport prints the report's file:// URL and, where a desktop is
// there to show it, opens it.
func openReport(path string, stdout, stderr io.Writer) {
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	fmt.Fprintf(stdout, "report: file://%s\n", filepath.ToSlash(abs))
	var opener string
	switch {
	case runtime.GOOS == "darwin":
		opener = "open"
	case os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != "":
		opener = "xdg-open"
	default:
		return // no desktop: the URL is for the user to open
	}
	if err := exec.Command(opener, abs).Start(); err != nil {
		fmt.Fprintf(stderr, "fastws conformance: cannot open the report with %s: %v\n", opener, innermost(err))
	}
}

// serveClientSuite serves suite for one testee client's run and returns
// its report once the client asks for it.
func serveClientSuite(ctx context.Context, addr string, suite *conformance.ClientSuite, runTimeout time.Duration, stdout io.Writer) (*conformance.Report, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	done := make(chan *conformance.Report, 1)
	suite.OnReport = func(r *conformance.Report) {
		select {
		case done <- r:
		default:
		}
	}
	srv := &http.Server{Handler: suite, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	fmt.Fprintf(stdout, "fastws conformance: %s; point the testee client at ws://%s\n", plural(len(suite.Cases), "case", "cases"), ln.Addr())
	select {
	case rep := <-done:
		return rep, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(runTimeout):
		return nil, errors.New("the testee client did not finish in time")
	}
}
