package h2upgrade

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// h2ConnectGODEBUG turns on extended CONNECT in Go's HTTP/2 server, which
// reads GODEBUG once, when net/http starts: the test binary runs itself
// again with it.
const h2ConnectGODEBUG = "http2xconnect=1"

func TestMain(m *testing.M) {
	if !strings.Contains(os.Getenv("GODEBUG"), h2ConnectGODEBUG) {
		godebug := h2ConnectGODEBUG
		if old := os.Getenv("GODEBUG"); old != "" {
			godebug = old + "," + godebug
		}
		// Replaced, not appended: exec keeps duplicates, and the first
		// would win again.
		env := []string{"GODEBUG=" + godebug}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GODEBUG=") {
				env = append(env, kv)
			}
		}
		if exe, err := os.Executable(); err == nil {
			_ = syscall.Exec(exe, os.Args, env) // returns only if it failed
		}
	}
	os.Exit(m.Run())
}

// requireH2Connect skips a test when the server cannot take extended
// CONNECT in this process.
func requireH2Connect(t *testing.T) {
	t.Helper()
	if !strings.Contains(os.Getenv("GODEBUG"), h2ConnectGODEBUG) {
		t.Skip("extended CONNECT needs GODEBUG=" + h2ConnectGODEBUG + " from the start, and the test binary could not run itself again with it")
	}
}
