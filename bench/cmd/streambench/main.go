// Command streambench measures io.Copy throughput through fastws's
// byte-stream adapter (fastws.Stream) against raw TCP and against
// coder/websocket's NetConn, on 127.0.0.1, both ends in this process.
// See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/streamcopy"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		size       = flag.String("size", "1GiB", "bytes per copy (B, KiB, MiB or GiB)")
		runs       = flag.Int("runs", 5, "copies per row, interleaved across rows; the report gives medians")
		transports = flag.String("transports", strings.Join(streamcopy.TransportKeys, ","), "comma-separated transports")
		buffer     = flag.String("buffer", "256KiB", "buffer of the io.CopyBuffer rows; 0 for io.Copy rows only")
		maxFrame   = flag.String("max-frame", "0", "if not 0, add fastws rows whose sender has this StreamOptions.MaxFrameSize")
		timeout    = flag.Duration("timeout", 5*time.Minute, "bound on each copy, connection set-up included")
		out        = flag.String("out", filepath.Join("results", "stream-"+time.Now().Format("2006-01-02")+".md"), "markdown report file; empty for stdout only")
	)
	flag.Parse()

	n, err := streamcopy.ParseBytes(*size)
	if err == nil && n == 0 {
		err = fmt.Errorf("-size must be positive")
	}
	buf, err2 := streamcopy.ParseBytes(*buffer)
	frame, err3 := streamcopy.ParseBytes(*maxFrame)
	for _, e := range []error{err, err2, err3} {
		if e != nil {
			fmt.Fprintln(os.Stderr, "streambench:", e)
			return 2
		}
	}
	cases, err := streamcopy.Cases(strings.Split(*transports, ","), int(buf), int(frame))
	if err != nil {
		fmt.Fprintln(os.Stderr, "streambench:", err)
		return 2
	}
	rep, err := streamcopy.Run(context.Background(), streamcopy.Options{
		Size:     n,
		Runs:     *runs,
		Cases:    cases,
		Timeout:  *timeout,
		Progress: os.Stderr,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "streambench:", err)
		return 1
	}
	md := rep.Markdown()
	fmt.Print(md)
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "streambench:", err)
			return 1
		}
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "streambench:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "streambench: wrote", *out)
	}
	return 0
}
