package harness

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/loadgen"
)

// serveEnv makes the test binary, re-executed, run as an echo server;
// compressEnv, set, turns its compression on.
const (
	serveEnv    = "ECHOBENCH_TEST_SERVE"
	compressEnv = "ECHOBENCH_TEST_COMPRESS"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(serveEnv); name != "" {
		var err error
		if limit, ok := os.LookupEnv(limitEnv); ok {
			err = serveBatteryChild(name, limit)
		} else {
			err = ServeChild(name, os.Getenv(compressEnv) != "", "127.0.0.1:0", os.Stdout)
		}
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func testCommand(t *testing.T) ServerCommand {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return func(name string, compress bool) *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), serveEnv+"="+name)
		if compress {
			cmd.Env = append(cmd.Env, compressEnv+"=1")
		}
		return cmd
	}
}

// TestQuickRun runs the whole harness on a tiny matrix: one short cell
// in two rounds and a small memory section, for fastws, its event-loop
// driver, gorilla and both references.
func TestQuickRun(t *testing.T) {
	rep := Run(Options{
		Servers:     []string{"fastws", "fastws-loop", "gorilla", "floor", "epoll-floor"},
		Cells:       []Cell{{Conns: 2, Size: 20}},
		Timing:      Timing{Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond},
		Rounds:      2,
		Load:        Load{Loops: 1},
		MemoryConns: 20,
		Command:     testCommand(t),
	})
	for _, row := range rep.Cells[0].Rows {
		if row.Err != nil {
			t.Fatalf("%s: %v", row.Server, row.Err)
		}
		if row.MsgsPerSec <= 0 || row.P50 <= 0 || row.P99 < row.P50 || row.LoadgenCPU <= 0 {
			t.Errorf("%s: implausible row %+v", row.Server, row)
		}
		if row.Runs != 2 || row.CPUMin > row.ServerCPU || row.ServerCPU > row.CPUMax {
			t.Errorf("%s: %d runs, CPU %v outside its range %v–%v", row.Server, row.Runs, row.ServerCPU, row.CPUMin, row.CPUMax)
		}
	}
	for _, m := range rep.Memory {
		if m.Err != nil {
			t.Fatalf("memory %s: %v", m.Server, m.Err)
		}
		if m.Baseline <= 0 {
			t.Errorf("memory %s: baseline RSS %d", m.Server, m.Baseline)
		}
	}
	if len(rep.Memory) != 4 {
		t.Errorf("memory rows %+v, want fastws, fastws-loop, gorilla and epoll-floor (not floor)", rep.Memory)
	}
	md := rep.Markdown()
	for _, want := range []string{
		"## 2 connections × 20B messages", "| fastws | ", "| gorilla | ", "| floor (reference) | ",
		"CPU range µs/msg", "fastws: ", "the fastest peer (gorilla)", "the CPU of the floor reference",
		"Targets (CPU ≤ 0.85×, msgs/s ≥ 1.15×): ", "## Memory", "CPU: ",
		"fastws idle: ", "the best goroutine-per-connection peer's (gorilla",
		"| fastws-loop | ", "| epoll-floor (reference) | ", "fastws-loop (event loops): ",
		"against the epoll-floor reference ", "Targets (issue 14: ",
		" KiB per connection idle", "against epoll-floor ",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
}

// A merged row takes each column's median separately, and a reference
// server is never the best peer.
func TestMedianRowAndPeers(t *testing.T) {
	runs := []Row{
		{Server: "gws", MsgsPerSec: 300, ServerCPU: 9, P50: 1, P99: 9},
		{Server: "gws", MsgsPerSec: 100, ServerCPU: 30, P50: 3, P99: 7},
		{Server: "gws", MsgsPerSec: 200, ServerCPU: 20, P50: 2, P99: 8},
	}
	m := medianRow(runs)
	if m.MsgsPerSec != 200 || m.ServerCPU != 20 || m.P50 != 2 || m.P99 != 8 || m.CPUMin != 9 || m.CPUMax != 30 || m.Runs != 3 {
		t.Errorf("merged %+v", m)
	}
	if m := medianRow(runs[:2]); m.MsgsPerSec != 200 || m.ServerCPU != 19 {
		t.Errorf("even count: merged %+v", m)
	}
	rows := []Row{
		{Server: "fastws", MsgsPerSec: 900, ServerCPU: 1},
		{Server: "fastws-loop", MsgsPerSec: 950, ServerCPU: 1},
		{Server: "floor", MsgsPerSec: 800, ServerCPU: 2},
		{Server: "epoll-floor", MsgsPerSec: 1000, ServerCPU: 1},
		{Server: "nbio", MsgsPerSec: 700, ServerCPU: 3},
		{Server: "gobwas", MsgsPerSec: 600, ServerCPU: 4},
	}
	if f, c := bestPeers(rows); f.Server != "nbio" || c.Server != "nbio" {
		t.Errorf("best peers %s, %s; want nbio", f.Server, c.Server)
	}
	if f, c := bestGoroutinePeers(rows); f.Server != "gobwas" || c.Server != "gobwas" {
		t.Errorf("best goroutine peers %s, %s; want gobwas", f.Server, c.Server)
	}
}

// TestQuickRunCompressed runs the compressed path on a tiny matrix: one
// short 1 KiB cell and a small memory section, for fastws and coder (both
// with context takeover, so the second echo of each connection is checked
// against the server's context).
func TestQuickRunCompressed(t *testing.T) {
	rep := Run(Options{
		Servers:     []string{"fastws", "coder"},
		Cells:       []Cell{{Conns: 2, Size: 1 << 10}},
		Timing:      Timing{Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond},
		Load:        Load{Loops: 1, Compress: true},
		MemoryConns: 20,
		Command:     testCommand(t),
	})
	for _, row := range rep.Cells[0].Rows {
		if row.Err != nil {
			t.Fatalf("%s: %v", row.Server, row.Err)
		}
		w := row.Wire
		if row.MsgsPerSec <= 0 || row.P50 <= 0 || row.P99 < row.P50 || row.LoadgenCPU <= 0 {
			t.Errorf("%s: implausible row %+v", row.Server, row)
		}
		if !strings.HasPrefix(row.Extension, "permessage-deflate") {
			t.Errorf("%s: negotiated %q", row.Server, row.Extension)
		}
		// 1 KiB of JSON compresses to about half, both ways.
		if w.Messages == 0 || w.Compressed != w.Messages || 3*w.Received > 2*w.Payload || 3*w.Sent > 2*w.Payload {
			t.Errorf("%s: wire counts %+v", row.Server, w)
		}
	}
	for _, m := range rep.Memory {
		if m.Err != nil {
			t.Fatalf("memory %s: %v", m.Server, m.Err)
		}
		if m.Baseline <= 0 || m.EchoTime <= 0 || !strings.HasPrefix(m.Extension, "permessage-deflate") {
			t.Errorf("memory %s: implausible row %+v", m.Server, m)
		}
	}
	md := rep.Markdown()
	for _, want := range []string{
		"# WebSocket compressed echo benchmark", "## Negotiation", "| fastws | `permessage-deflate",
		"## 2 connections × 1KiB JSON messages, compressed", "server→client / raw", "| coder | ",
		"fastws: ", "the fastest peer (coder)", "## Memory: server RSS per idle compressed connection at 20 connections",
		"(d) after GC",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	t.Log("\n" + md)
}

// TestQuickRunClientContext runs the compressed path with the client's
// context offered, as browsers offer it: fastws accepts it (its answer
// leaves out client_no_context_takeover), keeps each client's history,
// and every echo still comes back whole.
func TestQuickRunClientContext(t *testing.T) {
	rep := Run(Options{
		Servers: []string{"fastws"},
		Cells:   []Cell{{Conns: 2, Size: 1 << 10}},
		Timing:  Timing{Warmup: 100 * time.Millisecond, Duration: 300 * time.Millisecond},
		Load:    Load{Loops: 1, Compress: true, Offer: loadgen.ClientContextOffer},
		Command: testCommand(t),
	})
	row := rep.Cells[0].Rows[0]
	if row.Err != nil {
		t.Fatal(row.Err)
	}
	if !strings.HasPrefix(row.Extension, "permessage-deflate") || strings.Contains(row.Extension, "client_no_context_takeover") {
		t.Errorf("negotiated %q; want the client's context taken over", row.Extension)
	}
	if row.MsgsPerSec <= 0 || row.Wire.Messages == 0 || row.Wire.Compressed != row.Wire.Messages {
		t.Errorf("implausible row %+v", row)
	}
	if md := rep.Markdown(); !strings.Contains(md, "client offer: `permessage-deflate`;") || !strings.Contains(md, "the client's context is taken over") {
		t.Errorf("report does not say the offer:\n%s", md)
	}
}

func TestParseCells(t *testing.T) {
	cells, err := ParseCells("100x20B, 10x64KiB,1x2MiB,3x7")
	if err != nil {
		t.Fatal(err)
	}
	want := []Cell{{100, 20}, {10, 64 << 10}, {1, 2 << 20}, {3, 7}}
	if fmt.Sprint(cells) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", cells, want)
	}
	for _, bad := range []string{"", "x20", "10", "10x", "0x20", "10xKiB", "10x-1"} {
		if _, err := ParseCells(bad); err == nil {
			t.Errorf("ParseCells(%q) accepted", bad)
		}
	}
	var all []string
	for _, c := range DefaultCells {
		all = append(all, c.String())
	}
	if back, err := ParseCells(strings.Join(all, ",")); err != nil || fmt.Sprint(back) != fmt.Sprint(DefaultCells) {
		t.Errorf("default cells do not round-trip: %v, %v", back, err)
	}
}
