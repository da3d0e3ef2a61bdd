//go:build unix

package xconnect

import (
	"os"
	"syscall"
)

// reexec replaces the process with itself under the setting: the same
// pid, so go test's timeouts and signals still reach it.
func reexec() {
	if exe, err := os.Executable(); err == nil {
		_ = syscall.Exec(exe, os.Args, environ()) // returns only if it failed
	}
}
