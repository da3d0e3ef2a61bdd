package harness

import (
	"fmt"
	"strings"

	"github.com/fastws/fastws/bench/servers"
)

// loopFloorTarget is issue 14's bound on fastws-loop's server CPU per
// message, as a multiple of epoll-floor's in the same cell.
const loopFloorTarget = 1.10

// writeLoopSummary states fastws-loop's ratios in words: against the best
// peer, nbio among them, whose event loops are its class; against nbio
// alone; and against the epoll-floor reference. With targets, it then
// judges issue 14's: server CPU per message at most loopFloorTarget times
// epoll-floor's and below every peer's, msgs/s at least the best peer's,
// p99 at most the lowest peer p99.
func writeLoopSummary(b *strings.Builder, r Row, rows []Row, fastest, cheapest *Row, targets bool) {
	if r.Err != nil {
		return
	}
	fmt.Fprintf(b, "%s (event loops):", r.Server)
	lowP99 := lowestP99Peer(rows)
	if fastest != nil {
		fmt.Fprintf(b, " %s the msgs/s of the fastest peer (%s), %s the server CPU per message of the cheapest peer (%s), %s the p99 of the quickest peer (%s)",
			formatRatio(r.MsgsPerSec/fastest.MsgsPerSec), fastest.Server,
			formatRatio(cpuRatio(r, *cheapest)), cheapest.Server,
			formatRatio(p99Ratio(r, *lowP99)), lowP99.Server)
	} else {
		b.WriteString(" no peer row to compare with")
	}
	nbio, floor := rowNamed(rows, "nbio"), rowNamed(rows, servers.EpollFloor)
	for _, ref := range []struct {
		row  *Row
		what string
	}{{nbio, "nbio"}, {floor, "the epoll-floor reference"}} {
		if ref.row != nil {
			fmt.Fprintf(b, "; against %s %s the msgs/s, %s the CPU, %s the p99", ref.what,
				formatRatio(r.MsgsPerSec/ref.row.MsgsPerSec), formatRatio(cpuRatio(r, *ref.row)), formatRatio(p99Ratio(r, *ref.row)))
		}
	}
	b.WriteString(".")
	if targets {
		fmt.Fprintf(b, " Targets (issue 14: CPU ≤ %.2f× epoll-floor's and below every peer's, msgs/s ≥ the best peer's, p99 ≤ the lowest peer p99): %s.",
			loopFloorTarget, loopVerdict(r, fastest, cheapest, lowP99, floor))
	}
	b.WriteString("\n")
}

// loopVerdict judges issue 14's targets for r, naming each one missed and
// each that could not be judged because its comparison row is missing.
func loopVerdict(r Row, fastest, cheapest, lowP99, floor *Row) string {
	var missed, unjudged []string
	if floor == nil {
		unjudged = append(unjudged, "CPU against epoll-floor (not run, or failed)")
	} else if c := cpuRatio(r, *floor); c > loopFloorTarget {
		missed = append(missed, fmt.Sprintf("CPU %s epoll-floor's", formatRatio(c)))
	}
	if fastest == nil {
		unjudged = append(unjudged, "the peer targets (no peer row)")
	} else {
		if r.ServerCPU >= cheapest.ServerCPU {
			missed = append(missed, fmt.Sprintf("CPU %s %s's", formatRatio(cpuRatio(r, *cheapest)), cheapest.Server))
		}
		if r.MsgsPerSec < fastest.MsgsPerSec {
			missed = append(missed, fmt.Sprintf("msgs/s %s %s's", formatRatio(r.MsgsPerSec/fastest.MsgsPerSec), fastest.Server))
		}
		if r.P99 > lowP99.P99 {
			missed = append(missed, fmt.Sprintf("p99 %s %s's", formatRatio(p99Ratio(r, *lowP99)), lowP99.Server))
		}
	}
	verdict := "met"
	if len(missed) > 0 {
		verdict = "NOT met (" + strings.Join(missed, "; ") + ")"
	}
	if len(unjudged) > 0 {
		verdict += "; not judged: " + strings.Join(unjudged, "; ")
	}
	return verdict
}

// lowestP99Peer returns the peer row with the lowest p99, or nil where no
// peer succeeded.
func lowestP99Peer(rows []Row) *Row {
	var low *Row
	for i := range rows {
		r := &rows[i]
		if r.Err == nil && !servers.IsFastws(r.Server) && !servers.IsReference(r.Server) &&
			(low == nil || r.P99 < low.P99) {
			low = r
		}
	}
	return low
}

// rowNamed returns the successful row of the server called name, or nil.
func rowNamed(rows []Row, name string) *Row {
	for i := range rows {
		if rows[i].Server == name && rows[i].Err == nil {
			return &rows[i]
		}
	}
	return nil
}

func cpuRatio(r, to Row) float64 { return float64(r.ServerCPU) / float64(to.ServerCPU) }

func p99Ratio(r, to Row) float64 { return float64(r.P99) / float64(to.P99) }

// writeLoopMemorySummary compares fastws-loop's memory per connection
// with nbio's, the event-loop peer, and with epoll-floor's, which keeps
// nothing per idle connection but a small struct: no target, a reading.
func writeLoopMemorySummary(b *strings.Builder, rows []MemoryRow) {
	var loops []*MemoryRow
	var nbio, floor *MemoryRow
	for i := range rows {
		m := &rows[i]
		if m.Err != nil {
			continue
		}
		switch m.Server {
		case servers.FastwsLoop, servers.FastwsLoopAll:
			loops = append(loops, m)
		case "nbio":
			nbio = m
		case servers.EpollFloor:
			floor = m
		}
	}
	if nbio == nil && floor == nil {
		return
	}
	for _, loop := range loops {
		fmt.Fprintf(b, "\n%s (event loops): %.2f KiB per connection idle, %.2f KiB after the echo", loop.Server, loop.IdlePerCon/1024, loop.EchoPerCon/1024)
		for _, ref := range []*MemoryRow{nbio, floor} {
			if ref != nil {
				fmt.Fprintf(b, "; against %s %s idle and %s after the echo (%s: %.2f and %.2f KiB)", ref.Server,
					memoryRatio(loop.IdlePerCon, ref.IdlePerCon), memoryRatio(loop.EchoPerCon, ref.EchoPerCon),
					ref.Server, ref.IdlePerCon/1024, ref.EchoPerCon/1024)
			}
		}
		verdict := "met"
		if loop.IdlePerCon > loopIdleTarget || loop.EchoPerCon > loopEchoTarget {
			verdict = "NOT met"
		}
		fmt.Fprintf(b, ". Target (issue 14, at 19,000 connections: at most %.2f KiB idle and %.2f KiB after a 1 KiB echo): %s.\n",
			loopIdleTarget/1024, loopEchoTarget/1024, verdict)
	}
}

// Issue 14's targets for the RSS of an idle loop connection, in bytes.
const (
	loopIdleTarget = 512.0
	loopEchoTarget = 1024.0
)

// memoryRatio is v over ref, or a dash where ref is too small to divide
// by meaningfully: RSS moves by whole pages, and a server that keeps next
// to nothing per connection may grow by less than a page per hundred.
func memoryRatio(v, ref float64) string {
	if ref < 64 {
		return "—"
	}
	return formatRatio(v / ref)
}
