package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// runVersion prints what a bug report needs: the command's module
// version (or (devel) for a build from a checkout), the commit it was
// built from, the library it links, and the Go that built it.
func runVersion(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "fastws version: takes no arguments, not %q\n", args[0])
		return exitUsage
	}
	fmt.Fprintln(stdout, versionText())
	return exitNormal
}

func versionText() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "fastws (no build information) " + runtime.Version()
	}
	s := "fastws " + bi.Main.Version
	var rev, when string
	modified := false
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.time":
			when = kv.Value
		case "vcs.modified":
			modified = kv.Value == "true"
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		s += ", commit " + rev
		if when != "" {
			s += " (" + when + ")"
		}
		if modified {
			s += " with local changes"
		}
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/fastws/fastws" {
			lib := d.Version
			if d.Replace != nil {
				lib = "from " + d.Replace.Path
			}
			s += ", library " + lib
		}
	}
	return fmt.Sprintf("%s, built with %s for %s/%s", s, bi.GoVersion, runtime.GOOS, runtime.GOARCH)
}
