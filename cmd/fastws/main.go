// Command fastws is the fastws command-line tool: an echo server for
// conformance testing, a conformance-testee client, a websocat-like client,
// and a chat server.
//
//	fastws echo          -addr 127.0.0.1:9001      echo every message back
//	fastws testee-client -url ws://127.0.0.1:9001  run a conformance server's cases
//	fastws connect       ws://host:port/path        a client: interactive on a terminal, stdin lines out and messages to stdout in a pipe
//	fastws serve         -addr 127.0.0.1:8080      chat server (page at /, rooms, -nats for many nodes), echo at /echo
//	fastws conformance   server -url ws://...      run the conformance suite against a server
//	fastws conformance   client -addr host:port    ... or against a client
package main

import (
	"fmt"
	"io"
	"os"
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = []command{
	{"echo", "echo server for conformance testing", runEcho},
	{"testee-client", "conformance-testee client (getCaseCount / runCase / updateReports)", runTesteeClient},
	{"connect", "a WebSocket client: interactive on a terminal; in a pipe, stdin lines out and messages to stdout", runConnect},
	{"bench", "load an echo server: messages/s, latency percentiles and histogram, errors, the generator's own CPU", runBench},
	{"serve", "chat server: a page at /, rooms over the hub (-nats joins other nodes), echo at /echo", runServe},
	{"conformance", "conformance suite: test a server (server -url) or a client (client -addr)", runConformance},
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:], stdin, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "fastws: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fastws <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun fastws <command> -h for the command's flags.")
}
