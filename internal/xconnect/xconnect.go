// Package xconnect lets a test binary serve WebSockets over HTTP/2 (RFC
// 8441). Go's HTTP/2 server advertises extended CONNECT only under
// GODEBUG=http2xconnect=1 (Go 1.26), read once when net/http starts and
// not settable with a //go:debug line, so a test binary that needs it runs
// itself again with it.
package xconnect

import (
	"os"
	"strings"
	"testing"
)

// GODEBUG is the setting that turns extended CONNECT on.
const GODEBUG = "http2xconnect=1"

// On reports whether this process started with the setting.
func On() bool { return strings.Contains(os.Getenv("GODEBUG"), GODEBUG) }

// offEnv, set to 1, keeps Main from adding the setting: a test runs its
// own binary as a server without it (see Without).
const offEnv = "FASTWS_XCONNECT_OFF"

// Main is a TestMain: it runs the test binary again with the setting
// when it lacks it (where the system can replace a process image), then
// runs the tests.
func Main(m *testing.M) {
	Enable()
	os.Exit(m.Run())
}

// Enable runs the test binary again with the setting when it lacks it,
// for a TestMain that does more than Main.
func Enable() {
	if !On() && os.Getenv(offEnv) != "1" {
		reexec()
	}
}

// Without is the environment for running the test binary again without
// the setting: its HTTP/2 servers then speak h2 but refuse extended
// CONNECT, as most servers do.
func Without() []string {
	env := []string{offEnv + "=1"}
	for _, kv := range os.Environ() {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			var keep []string
			for s := range strings.SplitSeq(v, ",") {
				if s != GODEBUG {
					keep = append(keep, s)
				}
			}
			kv = "GODEBUG=" + strings.Join(keep, ",")
		}
		env = append(env, kv)
	}
	return env
}

// Require skips a test that needs the setting when the process lacks it.
func Require(t testing.TB) {
	t.Helper()
	if !On() {
		t.Skip("extended CONNECT needs GODEBUG=" + GODEBUG + " from the start, and the test binary could not run itself again with it")
	}
}

// environ is the environment with the setting added to GODEBUG; the old
// GODEBUG is replaced, not repeated (exec keeps duplicates, and the first
// would win again).
func environ() []string {
	godebug := GODEBUG
	if old := os.Getenv("GODEBUG"); old != "" {
		godebug = old + "," + godebug
	}
	env := []string{"GODEBUG=" + godebug}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			env = append(env, kv)
		}
	}
	return env
}
