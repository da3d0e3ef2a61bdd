// Command fanoutbench benchmarks broadcast to many subscribers: fastws's
// hub on both Server drivers against gws's Broadcaster and a gorilla hub
// in its chat example's pattern, each server a child process, with the
// subscribers and the publisher in this process; then a stalled
// subscriber, and fastws across two nodes joined through NATS. See
// bench/README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/fanout"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		serve       = flag.String("serve", "", "run as the fan-out server `NAME` (the bench starts these itself)")
		addr        = flag.String("addr", "127.0.0.1:0", "listen address for -serve")
		natsURL     = flag.String("nats-url", "", "with -serve: the NATS server a multi-node server joins")
		serverList  = flag.String("servers", strings.Join(fanout.Names, ","), "comma-separated servers of the main table, in order; the compressed ones ("+strings.Join(fanout.CompressedNames, ",")+") measure compressed broadcast")
		subs        = flag.Int("subs", 10000, "subscribers per run (all nodes together)")
		sizes       = flag.String("sizes", "20B,1KiB", "comma-separated message sizes (B, KiB)")
		rate        = flag.Float64("rate", 5, "the fixed publishing rate, messages/s (× -subs deliveries/s)")
		window      = flag.Int("window", 8, "full speed: messages published and not yet delivered to every subscriber, at most")
		duration    = flag.Duration("duration", 3*time.Second, "measured window per cell")
		warmup      = flag.Duration("warmup", time.Second, "publishing before each window")
		rounds      = flag.Int("rounds", 3, "runs of every cell per server, in a rotated server order; rows give medians")
		loops       = flag.Int("loops", 1, "subscriber event loops in this process")
		stalled     = flag.Bool("stalled", true, "the stalled-subscriber cells")
		stalledFill = flag.Int("stalled-fill", 1<<20, "bytes sent to the stalled subscriber alone before the others connect")
		natsSection = flag.Bool("nats", true, "the multi-node section (fastws loops on 2 nodes through NATS)")
		profileDir  = flag.String("profile", "", "write CPU and allocation profiles of every window of fastws's servers to `DIR` (a profiled run's numbers are not for quoting)")
		smoke       = flag.Bool("smoke", false, "a quick check (about 40 s): 200 subscribers, 100 msgs/s, 1 s cells, one round, no report file; exits 1 unless every message arrived")
		out         = flag.String("out", filepath.Join("results", "fanout-"+time.Now().Format("2006-01-02")+".md"), "markdown report file; empty for stdout only")
	)
	flag.Parse()

	if *serve != "" {
		if err := fanout.ServeChild(*serve, *natsURL, *addr, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "fanoutbench -serve:", err)
		}
		return 1
	}
	o := fanout.Options{
		Subscribers: *subs, Rate: *rate, Window: *window,
		Timing: fanout.Timing{Warmup: *warmup, Duration: *duration}, StalledFill: *stalledFill,
		Rounds: *rounds, Loops: *loops, Stalled: *stalled, StalledRcvbuf: 4096,
		NATS: *natsSection, NATSNodes: 2, ProfileDir: *profileDir, Progress: os.Stderr,
	}
	for name := range strings.SplitSeq(*serverList, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !fanout.Known(name) || name == fanout.FastwsNATS {
			fmt.Fprintf(os.Stderr, "fanoutbench: unknown server %q (have %s; compressed: %s)\n", name, strings.Join(fanout.Names, ", "), strings.Join(fanout.CompressedNames, ", "))
			return 2
		}
		o.Servers = append(o.Servers, name)
	}
	var err error
	if o.Sizes, err = fanout.ParseSizes(*sizes); err != nil {
		fmt.Fprintln(os.Stderr, "fanoutbench:", err)
		return 2
	}
	if *smoke {
		o = fanout.Smoke(o)
		*out = ""
	}
	if err := o.Check(); err != nil {
		fmt.Fprintln(os.Stderr, "fanoutbench:", err)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "fanoutbench:", err)
		return 1
	}
	if *profileDir != "" {
		if err := os.MkdirAll(*profileDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "fanoutbench:", err)
			return 1
		}
	}
	o.Command = func(name, natsURL string) *exec.Cmd {
		args := []string{"-serve", name, "-addr", "127.0.0.1:0"}
		if natsURL != "" {
			args = append(args, "-nats-url", natsURL)
		}
		// The servers inherit the environment: GODEBUG=memprofilerate=1
		// makes -profile's allocation profiles record every allocation.
		return exec.Command(self, args...)
	}
	rep := fanout.Run(o)
	// The command as it is run from bench/, whatever binary ran it.
	md := rep.Markdown(strings.TrimSpace("go run ./cmd/fanoutbench " + strings.Join(os.Args[1:], " ")))
	fmt.Print(md)
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "fanoutbench:", err)
			return 1
		}
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fanoutbench:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "fanoutbench: wrote", *out)
	}
	if !rep.OK() {
		return 1
	}
	return 0
}
