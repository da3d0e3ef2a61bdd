//go:build !unix

package xconnect

// reexec cannot replace the process here; the tests that need the
// setting skip, saying so.
func reexec() {}
