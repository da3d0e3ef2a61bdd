package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags returns a command's flag set, quiet: the flag package's own
// report of a bad flag is the whole usage on stderr, where one line that
// says what is wrong, and where the help is, serves better (parseFlags).
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("fastws "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args for a command without positional arguments. It
// returns ok, or the exit status: 0 after printing the help for -h, 2
// after one line for a bad flag or an unexpected argument.
func parseFlags(name string, fs *flag.FlagSet, args []string, about string, stdout, stderr io.Writer) (bool, int) {
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q: this command takes flags only", fs.Arg(0))
	}
	if err == nil {
		return true, 0
	}
	return false, flagFailure(name, err, stdout, stderr, func(w io.Writer) { writeHelp(w, fs, about) })
}

// flagFailure prints the help (for -h, on stdout, status 0) or one line
// for a mistake (on stderr, status 2).
func flagFailure(name string, err error, stdout, stderr io.Writer, help func(io.Writer)) int {
	if errors.Is(err, flag.ErrHelp) {
		help(stdout)
		return exitNormal
	}
	fmt.Fprintf(stderr, "fastws %s: %v\nRun fastws %s -h for the flags.\n", name, err, name)
	return exitUsage
}

// writeHelp prints a command's help: what it does and examples (about),
// then its flags.
func writeHelp(w io.Writer, fs *flag.FlagSet, about string) {
	fmt.Fprint(w, strings.TrimLeft(about, "\n"))
	fmt.Fprint(w, "\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}
