package harness

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fastws-loop's line compares it with the best peer, nbio and
// epoll-floor, and judges issue 14's targets one by one.
func TestLoopSummary(t *testing.T) {
	us := time.Microsecond
	rows := []Row{
		{Server: "fastws", MsgsPerSec: 900, ServerCPU: 12 * us, P99: 300 * us},
		{Server: "fastws-loop", MsgsPerSec: 1000, ServerCPU: 10 * us, P99: 200 * us},
		{Server: "gws", MsgsPerSec: 800, ServerCPU: 14 * us, P99: 150 * us},
		{Server: "nbio", MsgsPerSec: 950, ServerCPU: 11 * us, P99: 250 * us},
		{Server: "epoll-floor", MsgsPerSec: 1100, ServerCPU: 10 * us, P99: 100 * us},
	}
	line := func(rows []Row, targets bool) string {
		var b strings.Builder
		fastest, cheapest := bestPeers(rows)
		writeLoopSummary(&b, rows[1], rows, fastest, cheapest, targets)
		return b.String()
	}
	got := line(rows, true)
	for _, want := range []string{
		"fastws-loop (event loops): 1.05× the msgs/s of the fastest peer (nbio), 0.91× the server CPU per message of the cheapest peer (nbio), 1.33× the p99 of the quickest peer (gws)",
		"; against nbio 1.05× the msgs/s, 0.91× the CPU, 0.80× the p99",
		"; against the epoll-floor reference 0.91× the msgs/s, 1.00× the CPU, 2.00× the p99.",
		"Targets (issue 14: CPU ≤ 1.10× epoll-floor's and below every peer's, msgs/s ≥ the best peer's, p99 ≤ the lowest peer p99): NOT met (p99 1.33× gws's).",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("line lacks %q:\n%s", want, got)
		}
	}

	rows[2].P99 = 300 * us
	if got := line(rows, true); !strings.Contains(got, "): met.") {
		t.Errorf("all targets hold, yet:\n%s", got)
	}
	rows[1].ServerCPU = 12 * us // 1.20× epoll-floor's and above nbio's
	rows[1].MsgsPerSec = 900
	want := "NOT met (CPU 1.20× epoll-floor's; CPU 1.09× nbio's; msgs/s 0.95× nbio's)"
	if got := line(rows, true); !strings.Contains(got, want) {
		t.Errorf("line lacks %q:\n%s", want, got)
	}
	if got := line(rows, false); strings.Contains(got, "Targets") {
		t.Errorf("targets judged where they do not apply:\n%s", got)
	}

	noFloor := append(rows[:4:4], Row{Server: "epoll-floor", Err: errors.New("failed")})
	want = "not judged: CPU against epoll-floor (not run, or failed)"
	if got := line(noFloor, true); !strings.Contains(got, want) || strings.Contains(got, "against the epoll-floor reference") {
		t.Errorf("without epoll-floor, the line should say %q and nothing of it:\n%s", want, got)
	}
}
