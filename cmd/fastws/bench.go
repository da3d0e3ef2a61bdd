package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/fastws/fastws"
	"golang.org/x/term"
)

func runBench(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("bench")
	var f benchFlags
	f.register(fs)
	if err := f.parse(fs, args); err != nil {
		return flagFailure("bench", err, stdout, stderr, func(w io.Writer) { benchUsage(fs, w) })
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	// One connection through the library first: a server that cannot be
	// reached, refuses the handshake or declines compression is told in
	// the words fastws connect uses, once, before any load.
	ext, fl := probe(ctx, &f)
	if fl.status != exitNormal {
		fmt.Fprintln(stderr, "fastws bench:", fl.line)
		fmt.Fprint(stderr, fl.details)
		return fl.status
	}
	showProgress := f.progress == "on"
	if f.progress == "auto" {
		if file, ok := stderr.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
			showProgress = true
		}
	}
	rep, err := runLoad(ctx, &f, ext, progressTo(stderr, showProgress))
	if err != nil {
		fmt.Fprintln(stderr, "fastws bench:", err)
		return exitNetwork
	}
	// The file first: a report piped into head must not cost it.
	if f.jsonFile != "" {
		if err := rep.writeJSON(f.jsonFile); err != nil {
			fmt.Fprintln(stderr, "fastws bench:", err)
			return exitPeerClose
		}
	}
	rep.write(stdout)
	if rep.Mismatches > 0 || len(rep.Errors) > 0 {
		return exitPeerClose
	}
	return exitNormal
}

// probe opens and closes one connection with the library, returning the
// extensions the server agreed to.
func probe(ctx context.Context, f *benchFlags) (string, failure) {
	opts := &fastws.DialOptions{HandshakeTimeout: f.timeout, Compression: compression(f.compress)}
	c, _, err := fastws.Dial(ctx, f.url, opts)
	if err != nil {
		return "", dialFailure(f.url, f.timeout.String(), err)
	}
	defer c.CloseNow()
	ext := c.Extensions()
	if f.compress && ext == "" {
		return "", failure{status: exitRefused, line: "the server declined permessage-deflate: run without -compress, or turn compression on in the server"}
	}
	closeCtx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	c.CloseContext(closeCtx, fastws.CloseNormal, "")
	return ext, failure{}
}

// progress receives the load's counters as it runs.
type progress func(p liveStatus)

// liveStatus is what the progress line shows.
type liveStatus struct {
	phase    string // connecting, warming up, measuring
	open     int
	want     int
	rate     float64 // messages a second since the last update
	p50, p99 time.Duration
	errors   uint64
	elapsed  time.Duration
	total    time.Duration // of the phase, when known
}

// progressTo prints a status line, rewritten in place, when on; at the
// end the line is cleared so the report starts on a clean one.
func progressTo(w io.Writer, on bool) progress {
	if !on {
		return func(liveStatus) {}
	}
	return func(s liveStatus) {
		if s.phase == "" {
			fmt.Fprint(w, "\r\x1b[K")
			return
		}
		line := fmt.Sprintf("%s: %d/%d connections", s.phase, s.open, s.want)
		if s.phase == "measuring" {
			line += fmt.Sprintf(" | %.0f msg/s | p50 %s p99 %s | %d errors", s.rate, roundDuration(s.p50), roundDuration(s.p99), s.errors)
		}
		if s.total > 0 {
			line += fmt.Sprintf(" | %s/%s", s.elapsed.Round(time.Second), s.total)
		}
		fmt.Fprint(w, "\r\x1b[K"+line)
	}
}

// roundDuration keeps three significant figures or so.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}
