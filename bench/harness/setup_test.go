package harness

import (
	"strings"
	"testing"
	"time"
)

// TestSetupAndStalled runs both extra sections on tiny counts for fastws
// and its event-loop driver.
func TestSetupAndStalled(t *testing.T) {
	names := []string{"fastws", "fastws-loop"}
	setup := RunSetup(testCommand(t), names, 50, nil)
	for _, r := range setup.Rows {
		if r.Err != nil {
			t.Fatalf("setup %s: %v", r.Server, r.Err)
		}
		if r.Failed != 0 || r.PerSec <= 0 || r.Elapsed <= 0 {
			t.Errorf("setup %s: implausible row %+v", r.Server, r)
		}
	}
	timing := Timing{Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond}
	stalled := RunStalled(testCommand(t), names, 50, timing, Load{Loops: 1}, nil)
	for _, r := range stalled.Rows {
		for _, row := range []Row{r.Clean, r.Loaded} {
			if row.Err != nil {
				t.Fatalf("stalled %s: %v", r.Server, row.Err)
			}
			if row.MsgsPerSec <= 0 || row.P50 <= 0 || row.P99 < row.P50 {
				t.Errorf("stalled %s: implausible row %+v", r.Server, row)
			}
		}
	}
	for _, r := range stalled.Rows {
		if r.Dropped != 0 {
			t.Errorf("stalled %s: the server closed %d stalled connections", r.Server, r.Dropped)
		}
	}
	md := setup.Markdown() + stalled.Markdown()
	for _, want := range []string{
		"## Connection setup: 50 new connections per server", "| fastws | ", "| fastws-loop | ",
		"## Stalled peers: 10 × 1KiB with 50 stalled connections", "p99 stalled/clean", "stalled closed by server",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	t.Log("\n" + md)
}
