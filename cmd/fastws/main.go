// Command fastws is the fastws command-line tool: a WebSocket client to
// debug services with, a load tool for echo servers, the demo chat
// server, an echo server and the conformance suite.
//
//	fastws connect       ws://host:port/path   a client: interactive on a terminal; stdin lines out, messages to stdout in a pipe
//	fastws bench         ws://host:port/path   load an echo server: msgs/s, latency, errors, the generator's own CPU
//	fastws serve         -addr 127.0.0.1:8080  chat server (page at /, rooms, -nats for many nodes), echo at /echo
//	fastws echo          -addr 127.0.0.1:9001  echo every message back
//	fastws conformance   server -url ws://...  run the conformance suite against a server
//	fastws conformance   client -addr host:port    ... or against a client
//	fastws testee-client -url ws://127.0.0.1:9001  be a conformance server's testee client
//	fastws version | help [command] | completion bash|zsh
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

type command struct {
	name    string
	summary string
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands is the command list, in the order the help shows it; init
// fills it (help and completion refer to it).
var commands []command

func init() {
	commands = []command{
		{"connect", "a WebSocket client: interactive on a terminal; in a pipe, stdin lines out and messages to stdout", runConnect},
		{"bench", "load an echo server: messages/s, latency percentiles and histogram, errors, the generator's own CPU", runBench},
		{"serve", "the demo chat server: a page at /, rooms over the hub (-nats joins other nodes), echo at /echo", runServe},
		{"echo", "an echo server, for conformance suites and benchmarks", runEcho},
		{"conformance", "the conformance suite: test a server (server -url) or a client (client -addr)", runConformance},
		{"testee-client", "be the testee client of a conformance server (Autobahn's protocol)", runTesteeClient},
		{"version", "print the version, commit and Go version", runVersion},
		{"help", "help on a command: fastws help connect", runHelp},
		{"completion", "print a shell completion script: fastws completion bash (or zsh)", runCompletion},
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitNormal
	case "-version", "--version":
		return runVersion(nil, stdin, stdout, stderr)
	case "__complete":
		return runComplete(args[1:], stdout)
	}
	if c, ok := lookup(args[0]); ok {
		return c.run(args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "fastws: unknown command %q%s\nRun fastws help for the commands.\n", args[0], suggestion(args[0]))
	return exitUsage
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// suggestion names a command the mistyped one may have meant.
func suggestion(name string) string {
	for _, c := range commands {
		if strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name) {
			return fmt.Sprintf(" (did you mean %s?)", c.name)
		}
	}
	return ""
}

func usage(w io.Writer) {
	fmt.Fprint(w, `fastws is the command line of fastws, the WebSocket toolkit for Go.

usage: fastws <command> [flags]

commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Examples:
  fastws serve                                   then open http://127.0.0.1:8080
  fastws connect ws://127.0.0.1:8080/echo        type lines, see them come back
  fastws bench -c 100 ws://127.0.0.1:8080/echo   load the echo endpoint

Run fastws help <command> (or fastws <command> -h) for a command's flags.
`)
}

// runHelp is fastws help [command].
func runHelp(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		usage(stdout)
		return exitNormal
	case len(args) > 1:
		fmt.Fprintf(stderr, "fastws help: one command at a time, not %q\n", strings.Join(args, " "))
		return exitUsage
	}
	c, ok := lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "fastws help: unknown command %q%s\nRun fastws help for the commands.\n", args[0], suggestion(args[0]))
		return exitUsage
	}
	if c.name == "help" {
		usage(stdout)
		return exitNormal
	}
	return c.run([]string{"-h"}, stdin, stdout, stderr)
}
