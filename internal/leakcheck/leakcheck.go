// Package leakcheck fails a test that leaves goroutines behind: every
// connection test calls Check first, and at the end of the test the
// goroutines it started must be gone within a few seconds.
package leakcheck

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/testtime"
)

// Check records the goroutines running now and registers a cleanup that
// waits up to five seconds (times testtime.Scale: goroutines that end on a
// timer or a close handshake take longer on a slow run) for every
// goroutine started since to exit,
// failing the test with their stacks if some do not.
func Check(t testing.TB) {
	t.Helper()
	before := goroutines()
	t.Cleanup(func() {
		deadline := time.Now().Add(testtime.Limit(5 * time.Second))
		var leaked []string
		for {
			leaked = leaked[:0]
			for id, stack := range goroutines() {
				if _, ok := before[id]; !ok && !benign(stack) {
					leaked = append(leaked, stack)
				}
			}
			if len(leaked) == 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(leaked) > 0 {
			t.Errorf("%d goroutines leaked:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
		}
	})
}

// benign reports goroutines that belong to the runtime or the test
// framework, not to the code under test.
func benign(stack string) bool {
	for _, s := range []string{
		"testing.(*T).Run", "testing.tRunner", "testing.runTests", "testing.(*M).",
		"leakcheck.goroutines", "runtime.goexit0", "os/signal.signal_recv",
		"runtime.ensureSigM", "created by runtime.gc", "runtime.bgsweep",
	} {
		if strings.Contains(firstFrames(stack), s) {
			return true
		}
	}
	return false
}

// firstFrames is the goroutine's header and top frames, where what it is
// doing shows.
func firstFrames(stack string) string {
	lines := strings.SplitN(stack, "\n", 6)
	return strings.Join(lines, "\n")
}

func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		s := string(g)
		// "goroutine 42 [running]:" — the id is the second field.
		fields := strings.Fields(s)
		if len(fields) > 1 {
			out[fields[1]] = s
		}
	}
	return out
}
