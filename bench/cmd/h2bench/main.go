// Command h2bench compares many WebSockets over one HTTP/2 connection
// (RFC 8441) with the same WebSockets over HTTP/1.1, one TLS connection
// each: the connections the server holds, memory per WebSocket on each
// side, and echo messages per second with the server's CPU per message.
// The server runs as a child process (GODEBUG=http2xconnect=1, which Go
// 1.26 needs to advertise extended CONNECT); the client is this process,
// fastws's Dial with HTTP2Only or HTTP2Off. See bench/README.md.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	var (
		serve    = flag.Bool("serve", false, "run as the server (the benchmark starts it itself)")
		connList = flag.String("conns", "100,1000", "comma-separated numbers of WebSockets")
		size     = flag.Int("size", 64, "message size in bytes")
		duration = flag.Duration("duration", 3*time.Second, "measured echo window per cell")
		out      = flag.String("out", "", "also write the markdown report to this file")
		frame    = flag.Int("max-read-frame", 0, "the server's HTTP/2 MaxReadFrameSize (0: Go's default, 1 MiB); Go's client keeps a write buffer per stream of min(this, 512 KiB)")
	)
	flag.Parse()
	if *serve {
		os.Exit(runServer(*frame))
	}
	var conns []int
	for f := range strings.SplitSeq(*connList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "h2bench: bad -conns entry %q\n", f)
			os.Exit(2)
		}
		conns = append(conns, n)
	}
	if err := runBench(conns, *size, *duration, *frame, *out); err != nil {
		fmt.Fprintln(os.Stderr, "h2bench:", err)
		os.Exit(1)
	}
}
