//go:build unix

package fastws

import (
	"os"
	"syscall"
)

// reexec replaces the process with itself under env; it returns only if
// that failed.
func reexec(env []string) {
	exe, err := os.Executable()
	if err != nil {
		return
	}
	_ = syscall.Exec(exe, os.Args, env)
}
