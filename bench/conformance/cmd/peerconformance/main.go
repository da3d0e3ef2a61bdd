// Command peerconformance runs the whole fastws conformance suite against
// the testees of the peer libraries, gorilla/websocket and
// coder/websocket (package testee): three echo servers through
// conformance.RunServer and two echo clients through a
// conformance.ClientSuite, all on 127.0.0.1. For each testee it writes
// the JSON and HTML reports and a text summary, and a summary.md of all
// of them, to -out.
//
// Run it from the bench module:
//
//	cd bench && go run ./conformance/cmd/peerconformance
//
// With -serve NAME it only serves one of the server testees on 127.0.0.1,
// for probing by hand.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/fastws/fastws/conformance"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// config is what the flags set.
type config struct {
	out         string
	testees     []string
	cases       string
	exclude     string
	parallel    int
	caseTimeout time.Duration
	verbose     bool
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("peerconformance", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	fs.StringVar(&cfg.out, "out", "conformance/results", "directory the reports are written to")
	names := fs.String("testees", strings.Join(testeeNames(), ","), "comma-separated testees to run")
	fs.StringVar(&cfg.cases, "cases", "*", "comma-separated case patterns")
	fs.StringVar(&cfg.exclude, "exclude", "", "comma-separated case patterns to leave out")
	fs.IntVar(&cfg.parallel, "parallel", 4, "server testees: cases run at once (timing cases always run alone)")
	fs.DurationVar(&cfg.caseTimeout, "case-timeout", conformance.DefaultCaseTimeout, "longest one case may take")
	total := fs.Duration("timeout", 20*time.Minute, "longest the whole run may take")
	fs.BoolVar(&cfg.verbose, "v", false, "print a line per case")
	serveName := fs.String("serve", "", "only serve this server testee on 127.0.0.1 until interrupted")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *serveName != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		if err := serve(ctx, *serveName, stdout); err != nil {
			fmt.Fprintln(stderr, "peerconformance:", err)
			return 2
		}
		return 0
	}
	for _, n := range strings.Split(*names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			if _, ok := testeeByName(n); !ok {
				fmt.Fprintf(stderr, "peerconformance: unknown testee %q (have %s)\n", n, strings.Join(testeeNames(), ", "))
				return 2
			}
			cfg.testees = append(cfg.testees, n)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *total)
	defer cancel()

	var reports []*conformance.Report
	for _, name := range cfg.testees {
		t, _ := testeeByName(name)
		start := time.Now()
		fmt.Fprintf(stderr, "peerconformance: %s ...\n", name)
		rep, err := t.run(ctx, cfg, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "peerconformance: %s: %v\n", name, err)
			return 1
		}
		if err := writeReport(cfg.out, rep); err != nil {
			fmt.Fprintln(stderr, "peerconformance:", err)
			return 1
		}
		rep.WriteSummary(stdout)
		fmt.Fprintf(stderr, "peerconformance: %s took %v\n", name, time.Since(start).Round(time.Second))
		reports = append(reports, rep)
	}
	if err := writeOverview(cfg.out, reports); err != nil {
		fmt.Fprintln(stderr, "peerconformance:", err)
		return 1
	}
	return 0
}
