package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// benchFlags are the flags of fastws bench.
type benchFlags struct {
	url         string
	conns       int
	ramp        float64
	sizes       sizeDist
	binary      bool
	compress    bool
	rate        float64
	duration    time.Duration
	messages    int
	warmup      time.Duration
	loops       int
	jsonFile    string
	timeout     time.Duration
	progress    string
	warmupGiven bool
}

func (f *benchFlags) register(fs *flag.FlagSet) {
	f.sizes = sizeDist{{size: 1 << 10, weight: 1}}
	fs.IntVar(&f.conns, "c", 100, "connections")
	fs.Float64Var(&f.ramp, "ramp", 0, "open the connections at this many a second (0: as fast as they open)")
	fs.Var(&f.sizes, "size", "message size (bytes, or with KiB/MiB), or a distribution of sizes with weights, as in 64:70,1KiB:25,64KiB:5")
	fs.BoolVar(&f.binary, "binary", false, "send binary messages (default text)")
	fs.BoolVar(&f.compress, "compress", false, "offer permessage-deflate and send JSON documents compressed (the server must accept)")
	fs.Float64Var(&f.rate, "rate", 0, "open loop: messages a second over all connections, latency counted from when each was due (0: closed loop, each connection sends again when its echo is in)")
	fs.DurationVar(&f.duration, "duration", 10*time.Second, "how long to measure, after the warm-up")
	fs.IntVar(&f.messages, "messages", 0, "instead of -duration: send this many messages in all (spread over the connections), every one measured")
	fs.DurationVar(&f.warmup, "warmup", 2*time.Second, "how long to run before measuring (-duration runs)")
	fs.IntVar(&f.loops, "loops", 1, "event loops (threads) of the load generator")
	fs.StringVar(&f.jsonFile, "json", "", "write every figure of the run as JSON to this file")
	fs.DurationVar(&f.timeout, "connect-timeout", 10*time.Second, "time allowed for each connection and its handshake")
	fs.StringVar(&f.progress, "progress", "auto", "live progress line on stderr: auto (when stderr is a terminal), on or off")
}

func (f *benchFlags) parse(fs *flag.FlagSet, args []string) error {
	var rest []string
	if err := fs.Parse(args); err != nil {
		return err
	}
	for fs.NArg() > 0 {
		rest = append(rest, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	fs.Visit(func(fl *flag.Flag) { f.warmupGiven = f.warmupGiven || fl.Name == "warmup" })
	switch {
	case len(rest) == 0:
		return usageError("want the echo server's URL, as in fastws bench ws://127.0.0.1:8080/echo")
	case len(rest) > 1:
		return usageError(fmt.Sprintf("unexpected argument %q after the URL", rest[1]))
	case f.conns < 1:
		return usageError("-c: want at least one connection")
	case f.rate < 0 || f.ramp < 0:
		return usageError("-rate and -ramp: want a number of 0 or more")
	case f.messages < 0:
		return usageError("-messages: want a count of 0 or more")
	case f.messages > 0 && f.warmupGiven:
		return usageError("-warmup is for -duration runs: with -messages every message is measured")
	case f.messages == 0 && f.duration <= 0:
		return usageError("-duration: want a duration above zero, as in 10s")
	case f.loops < 1:
		return usageError("-loops: want at least 1")
	case f.progress != "auto" && f.progress != "on" && f.progress != "off":
		return usageError(fmt.Sprintf("-progress %q: want auto, on or off", f.progress))
	}
	if f.messages > 0 {
		f.warmup = 0
	}
	f.url = rest[0]
	if err := checkURL(f.url); err != nil {
		return err
	}
	if u, _ := url.Parse(f.url); u.Scheme == "wss" || u.Scheme == "https" {
		return usageError("fastws bench drives ws:// only (its epoll load generator speaks no TLS): bench the server behind its TLS terminator, over ws://")
	}
	return nil
}

// target is where the load generator connects: host:port, the Host
// header and the request target.
func (f *benchFlags) target() (addr, host, path string) {
	u, _ := url.Parse(f.url)
	host = u.Host
	addr = host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	path = u.RequestURI()
	return addr, host, path
}

// sizeDist is a -size value: one size, or sizes with weights.
type sizeDist []sizeWeight

type sizeWeight struct {
	size   int
	weight int
}

func (d *sizeDist) String() string {
	var parts []string
	for _, sw := range *d {
		s := byteSize(sw.size)
		if len(*d) == 1 {
			return s.String()
		}
		parts = append(parts, s.String()+":"+strconv.Itoa(sw.weight))
	}
	return strings.Join(parts, ",")
}

func (d *sizeDist) Set(v string) error {
	var out sizeDist
	for _, part := range strings.Split(v, ",") {
		sizeText, weightText, hasWeight := strings.Cut(strings.TrimSpace(part), ":")
		var s byteSize
		if t, ok := strings.CutSuffix(sizeText, "B"); ok && t != "" && t[len(t)-1] >= '0' && t[len(t)-1] <= '9' {
			sizeText = t // 20B
		}
		if err := s.Set(sizeText); err != nil || s > 64<<20 {
			return fmt.Errorf("size %q: want bytes up to 64MiB, as in 100, 1KiB or 64:70,1KiB:30", sizeText)
		}
		w := 1
		if hasWeight {
			n, err := strconv.Atoi(weightText)
			if err != nil || n < 1 || n > 1000 {
				return fmt.Errorf("weight %q of size %s: want a whole number from 1 to 1000", weightText, sizeText)
			}
			w = n
		}
		out = append(out, sizeWeight{int(s), w})
	}
	*d = out
	return nil
}

// sequence is the order in which every connection sends the sizes: each
// as often as its weight says, shuffled with a fixed seed so that a run
// can be repeated.
func (d sizeDist) sequence() []int {
	if len(d) == 1 {
		return []int{d[0].size}
	}
	var seq []int
	for _, sw := range d {
		for range sw.weight {
			seq = append(seq, sw.size)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rng.Shuffle(len(seq), func(i, j int) { seq[i], seq[j] = seq[j], seq[i] })
	return seq
}

// benchUsage is the help of fastws bench.
func benchUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `usage: fastws bench [flags] ws://host:port/path

Drives an echo server with many connections and reports messages per
second, latency percentiles and a histogram, errors by kind, and the
load generator's own CPU per message. Every echo is compared byte for
byte with the message sent; mismatches are counted.

The load comes from the generator the fastws benchmarks use: a few epoll
event loops with plain system calls (Linux), cheaper per message than the
servers it measures. Closed loop by default (each connection sends again
when its echo is in); -rate makes it an open loop at a fixed rate, where
latency counts from when each message was due, so a server that falls
behind shows as latency rather than as fewer samples.

It is a load tool: point it only at servers you own or may load.

Examples:
  fastws bench ws://127.0.0.1:8080/echo
  fastws bench -c 1000 -ramp 200 -size 64:70,1KiB:25,16KiB:5 -duration 30s ws://127.0.0.1:8080/echo
  fastws bench -c 100 -rate 20000 -json run.json ws://127.0.0.1:8080/echo
  fastws bench -compress -messages 100000 ws://127.0.0.1:8080/echo

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Exit status: 0 when every echo came back intact; 1 when some did not or
connections failed (the report says which); 2 for a wrong command line;
3, 4 and 6 as for fastws connect when the server cannot be reached.
`)
}
