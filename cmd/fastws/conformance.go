package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/fastws/fastws/conformance"
)

// runConformance is `fastws conformance server|client`.
func runConformance(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "server" && args[0] != "client") {
		fmt.Fprintln(stderr, "usage: fastws conformance server -url ws://127.0.0.1:9001 [flags]\n       fastws conformance client -addr 127.0.0.1:9002 [flags]")
		return 2
	}
	mode := args[0]
	fs := flag.NewFlagSet("fastws conformance "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "ws://127.0.0.1:9001", "server mode: the testee server's URL")
	addr := fs.String("addr", "127.0.0.1:9002", "client mode: where the suite listens for the testee client")
	agent := fs.String("agent", "", "name the results are filed under (server mode: default \"server\"; client mode: the client's own agent name)")
	cases := fs.String("cases", "*", "comma-separated case patterns, e.g. '1.*,6.4.*'")
	exclude := fs.String("exclude", "", "comma-separated case patterns to leave out")
	parallel := fs.Int("parallel", 0, "server mode: cases run at once (timing cases always run alone); 0 means two per CPU")
	caseTimeout := fs.Duration("case-timeout", conformance.DefaultCaseTimeout, "longest a case may take when it sets no limit of its own (limits of cases that move much data grow with their work)")
	timeScale := fs.Float64("time-scale", 1, "multiply every time limit by this, for a slow testee or a busy machine")
	runTimeout := fs.Duration("timeout", time.Hour, "client mode: longest the whole run may take")
	reportDir := fs.String("report-dir", "reports", "where the JSON and HTML reports are written")
	verbose := fs.Bool("v", false, "print a line per case")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	all := conformance.Cases(conformance.ServerMode)
	if mode == "client" {
		all = conformance.Cases(conformance.ClientMode)
	}
	selected := conformance.Select(all, *cases, *exclude)
	if len(selected) == 0 {
		fmt.Fprintf(stderr, "fastws conformance: no case matches %q\n", *cases)
		return 2
	}
	progress := func(r *conformance.Result) {
		if *verbose {
			fmt.Fprintf(stdout, "%-9s %s\n", r.ID, r.Result)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	var rep *conformance.Report
	if mode == "server" {
		name := *agent
		if name == "" {
			name = "server"
		}
		var err error
		rep, err = conformance.RunServer(ctx, conformance.ServerConfig{
			URL: *url, Agent: name, Cases: selected, Parallel: *parallel, CaseTimeout: *caseTimeout, TimeScale: *timeScale,
			Progress: progress,
		})
		if err != nil {
			fmt.Fprintln(stderr, "fastws conformance:", err)
			return 1
		}
	} else {
		var err error
		suite := &conformance.ClientSuite{
			Cases:       selected,
			CaseTimeout: *caseTimeout,
			TimeScale:   *timeScale,
			Progress:    func(_ string, r *conformance.Result) { progress(r) },
		}
		if rep, err = serveClientSuite(ctx, *addr, suite, *runTimeout, stdout); err != nil {
			fmt.Fprintln(stderr, "fastws conformance:", err)
			return 1
		}
	}
	jsonPath, htmlPath, err := rep.WriteFiles(*reportDir)
	if err != nil {
		fmt.Fprintln(stderr, "fastws conformance: writing reports:", err)
		return 1
	}
	rep.WriteSummary(stdout)
	fmt.Fprintf(stderr, "reports: %s, %s\n", jsonPath, htmlPath)
	if rep.Failed() > 0 {
		return 1
	}
	return 0
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
	fmt.Fprintf(stdout, "fastws conformance: %d cases; point the testee client at ws://%s\n", len(suite.Cases), ln.Addr())
	select {
	case rep := <-done:
		return rep, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(runTimeout):
		return nil, errors.New("the testee client did not finish in time")
	}
}
