// Command membench is the memory battery: what fastws and its peers hold,
// at their peak and after, while they read a large message whole, in
// 64 KiB fragments and in 1-byte fragments, and while a decompression
// bomb arrives on several connections at once; under each library's own
// default message limit and under a limit of 1 MiB. Each server runs as a
// child process whose RSS is read from /proc. See bench/README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/harness"
	"github.com/fastws/fastws/bench/servers"
)

// defaultServers are the libraries the battery compares: fastws, and the
// peers whose limits can be set (coder and gobwas are left out: the
// gobwas server has no limit of its own, and coder's is not a default
// anyone keeps).
var defaultServers = []string{servers.Fastws, "gorilla", "gws", "nbio"}

// The battery's sizes, full and -quick. Under a byte limit the read
// shapes send a share of it (3/4, 1/2), so that every server should echo.
// Both bombs are over every default limit there is (the largest, fastws's,
// is 16 MiB), so that each library's default is put to the test.
const (
	fullSize        = 8 << 20
	quickSize       = 2 << 20
	fullBomb        = 256 << 20
	quickBomb       = 64 << 20
	fullBombConns   = 8
	quickBombConns  = 4
	defaultLimitArg = "default"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		serve      = flag.String("serve", "", "run as the echo server `NAME` (the battery starts these itself)")
		addr       = flag.String("addr", "127.0.0.1:0", "listen address for -serve (loopback only)")
		limit      = flag.String("limit", defaultLimitArg, "message limit for -serve: \"default\" (the library's own) or a size such as 1MiB")
		compressed = flag.Bool("compressed", false, "permessage-deflate on, for -serve")
		serverList = flag.String("servers", strings.Join(defaultServers, ","), "comma-separated servers to measure, in order (any of "+strings.Join(servers.Limited, ", ")+")")
		limitList  = flag.String("limits", "default,1MiB", "comma-separated limit settings: \"default\" or a size")
		size       = flag.String("size", "", "S under each library's own default (default 8MiB, 2MiB with -quick); under a byte limit S is 3/4 of it (1/2 with -quick)")
		bombSize   = flag.String("bomb", "", "the bomb's inflated size (default 256MiB, 64MiB with -quick)")
		bombConns  = flag.Int("bomb-conns", 0, "connections sending the bomb at once (default 8, 4 with -quick)")
		quick      = flag.Bool("quick", false, "smaller messages, bomb and connection count (about a minute)")
		timeout    = flag.Duration("timeout", 2*time.Minute, "bound on each shape")
		out        = flag.String("out", filepath.Join("results", "memory-"+time.Now().Format("2006-01-02")+".md"), "markdown report file; empty for stdout only")
	)
	flag.Parse()

	if *serve != "" {
		n, err := parseLimit(*limit)
		if err == nil {
			err = harness.ServeChildWith(*serve, servers.Options{Compress: *compressed, Limit: n}, *addr, os.Stdout)
		}
		fmt.Fprintln(os.Stderr, "membench -serve:", err)
		return 1
	}

	opts, err := options(*serverList, *limitList, *size, *bombSize, *bombConns, *quick)
	if err != nil {
		fmt.Fprintln(os.Stderr, "membench:", err)
		return 2
	}
	opts.Timeout = *timeout
	opts.Progress = os.Stderr
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "membench:", err)
		return 1
	}
	opts.Command = func(name string, o servers.Options) *exec.Cmd {
		args := []string{"-serve", name, "-addr", "127.0.0.1:0", "-limit", limitArg(o.Limit)}
		if o.Compress {
			args = append(args, "-compressed")
		}
		return exec.Command(self, args...)
	}

	md := harness.RunBattery(opts).Markdown()
	fmt.Print(md)
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "membench:", err)
			return 1
		}
		if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "membench:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "membench: wrote", *out)
	}
	return 0
}

// options builds the battery's options from the flags.
func options(serverList, limitList, size, bomb string, bombConns int, quick bool) (harness.BatteryOptions, error) {
	o := harness.BatteryOptions{BombSize: fullBomb, BombConns: fullBombConns}
	// S under a byte limit is num/den of it.
	s, num, den := fullSize, 3, 4
	if quick {
		o.BombSize, o.BombConns = quickBomb, quickBombConns
		s, num, den = quickSize, 1, 2
	}
	if size != "" {
		n, err := harness.ParseSize(size)
		if err != nil || n == 0 {
			return o, fmt.Errorf("bad -size %q", size)
		}
		s = n
	}
	if bomb != "" {
		n, err := harness.ParseSize(bomb)
		if err != nil || n == 0 {
			return o, fmt.Errorf("bad -bomb %q", bomb)
		}
		o.BombSize = int64(n)
	}
	if bombConns > 0 {
		o.BombConns = bombConns
	}
	for name := range strings.SplitSeq(serverList, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if !servers.CanLimit(name) || !servers.CanCompress(name) {
			return o, fmt.Errorf("server %q cannot be measured (have %s)", name, strings.Join(servers.Limited, ", "))
		}
		o.Servers = append(o.Servers, name)
	}
	if len(o.Servers) == 0 {
		return o, fmt.Errorf("no servers in %q", serverList)
	}
	for item := range strings.SplitSeq(limitList, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		n, err := parseLimit(item)
		if err != nil {
			return o, err
		}
		lim := harness.LimitSetting{Limit: n, Size: s}
		if n > 0 {
			lim.Size = int(n) * num / den
		}
		o.Limits = append(o.Limits, lim)
	}
	if len(o.Limits) == 0 {
		return o, fmt.Errorf("no limits in %q", limitList)
	}
	return o, nil
}

// parseLimit reads "default" as 0, the library's own, or a size.
func parseLimit(s string) (int64, error) {
	if s == defaultLimitArg {
		return 0, nil
	}
	n, err := harness.ParseSize(s)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("bad limit %q: want \"default\" or a size such as 1MiB", s)
	}
	return int64(n), nil
}

func limitArg(n int64) string {
	if n == 0 {
		return defaultLimitArg
	}
	return strconv.FormatInt(n, 10)
}
