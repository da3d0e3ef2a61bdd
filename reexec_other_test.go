//go:build !unix

package fastws

// reexec cannot replace the process here: the HTTP/2 tests skip.
func reexec([]string) {}
