package fanout

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// serveEnv makes the test binary, re-executed, run as the server it
// names; natsEnv is the NATS server it joins.
const (
	serveEnv = "FANOUT_TEST_SERVE"
	natsEnv  = "FANOUT_TEST_NATS"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(serveEnv); name != "" {
		err := ServeChild(name, os.Getenv(natsEnv), "127.0.0.1:0", os.Stdout)
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func testCommand(t *testing.T) Command {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return func(name, natsURL string) *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), serveEnv+"="+name, natsEnv+"="+natsURL)
		return cmd
	}
}

// TestSmoke runs the smoke mode (fanoutbench -smoke): every server, both
// sizes at the fixed rate and at full speed, the stalled subscriber and
// the two NATS-joined nodes, 200 subscribers and 1 s per cell, all on
// 127.0.0.1, about 40 s. It checks that every subscriber received every
// message of every window, in order and intact, and that the report
// renders.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("about 40 s; skipped with -short")
	}
	o := Smoke(Options{
		Servers: Names, Sizes: []int{20, 1 << 10}, Window: 8,
		Stalled: true, StalledRcvbuf: 4096, StalledFill: 1 << 20,
		NATS: true, NATSNodes: 2, Loops: 1, Command: testCommand(t),
	})
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	rep := Run(o)
	check := func(label string, row Row) {
		t.Helper()
		if row.Err != nil {
			t.Errorf("%s: %v", label, row.Err)
			return
		}
		if row.Deliveries == 0 || row.Loss.Expected == 0 {
			t.Errorf("%s: %d deliveries of %d messages", label, row.Deliveries, row.Loss.Expected)
		}
		if row.Loss.Lost != 0 || row.Loss.Failed != 0 || row.Loss.Extra != 0 || row.Loss.DrainTimedOut || row.Gaps != 0 {
			t.Errorf("%s: incomplete deliveries: %+v, %d gaps %v", label, row.Loss, row.Gaps, row.GapNotes)
		}
		if row.ErrCount != 0 {
			t.Errorf("%s: %d errors: %v", label, row.ErrCount, row.Errors)
		}
		if row.P50 <= 0 || row.P99 < row.P50 || row.ServerCPU <= 0 {
			t.Errorf("%s: implausible row: p50 %v p99 %v server CPU %v", label, row.P50, row.P99, row.ServerCPU)
		}
	}
	for _, name := range o.Servers {
		for _, cell := range o.Cells() {
			row, ok := rep.Rows[name][cell]
			if !ok {
				t.Errorf("%s %s: no row", name, cell)
				continue
			}
			check(name+" "+cell.String(), row)
		}
		for _, cell := range o.StalledCells() {
			row, ok := rep.Stalled[name][cell]
			if !ok {
				t.Errorf("%s %s stalled: no row", name, cell)
				continue
			}
			check(name+" "+cell.String()+" stalled", row)
		}
	}
	if rep.NATSErr != nil {
		t.Errorf("NATS: %v", rep.NATSErr)
	}
	for _, cell := range o.Cells() {
		row, ok := rep.NATS[cell]
		if !ok {
			t.Errorf("NATS %s: no row", cell)
			continue
		}
		check("NATS "+cell.String(), row)
		if len(row.Nodes) != 2 || row.Nodes[0].Deliveries == 0 || row.Nodes[1].Deliveries == 0 {
			t.Errorf("NATS %s: per-node rows %+v", cell, row.Nodes)
		}
	}
	if !rep.OK() {
		t.Error("the report is not OK")
	}
	if md := rep.Markdown("test"); len(md) == 0 {
		t.Error("empty report")
	}
	if t.Failed() {
		t.Log(rep.Markdown("fanout test"))
	}
}

// serverFrame returns the frame a server sends for the message the
// publisher frames as seq: the payload unmasked, behind an unmasked
// header.
func serverFrame(size int, seq, stamp int64) []byte {
	tmpl := newFrameTemplate(size)
	payload := bytes.Clone(tmpl.fill(seq, stamp)[tmpl.stamp:])
	wsframe.Mask(maskKey, 0, payload)
	frame := wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: wsframe.OpBinary, Length: int64(size)})
	return append(frame, payload...)
}

// TestFeed checks the subscribers' parser on its own: frames split at
// every byte, a ping skipped, the stamp read, the window counted, and a
// corrupted byte, a wrong size and a gap each noticed.
func TestFeed(t *testing.T) {
	s := &subscribers{nodes: 1, acct: make([]atomic.Int32, ringSize), notify: make(chan struct{}, 1), oldest: 5}
	s.live.Store(1)
	s.sizes.Store(&[]sizeFrom{})
	s.setSize(5, 1<<10)
	l := &subLoop{s: s}
	v := view{rec: true, sizes: *s.sizes.Load(), live: 1, start: 5, end: 7}

	ping := append(wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: wsframe.OpPing, Length: 2}), 'h', 'i')
	stream := append(ping, serverFrame(1<<10, 5, now())...)
	stream = append(stream, serverFrame(1<<10, 6, now())...)
	c := &subConn{last: 4}
	for i := range stream {
		if err := l.feed(c, stream[i:i+1], now(), &v); err != nil {
			t.Fatalf("byte %d: %v", i, err)
		}
	}
	if c.last != 6 || c.got != 2 || l.nodes[0].deliveries != 2 || l.nodes[0].hist.Count() != 2 {
		t.Errorf("after two messages: last %d, got %d, deliveries %d", c.last, c.got, l.nodes[0].deliveries)
	}
	if s.advance(7) != 7 {
		t.Errorf("messages 5 and 6 not settled: oldest %d", s.oldest)
	}

	bad := serverFrame(1<<10, 7, now())
	bad[len(bad)-1] ^= 1
	if err := l.feed(&subConn{last: 6}, bad, now(), &v); err == nil {
		t.Error("a corrupted byte went unnoticed")
	}
	if err := l.feed(&subConn{last: 6}, serverFrame(20, 7, now()), now(), &v); err == nil {
		t.Error("a 20-byte message where 1 KiB was published went unnoticed")
	}
	if err := l.feed(&subConn{last: 7}, serverFrame(1<<10, 7, now()), now(), &v); err == nil {
		t.Error("a duplicate went unnoticed")
	}
	c = &subConn{last: 6}
	if err := l.feed(c, serverFrame(1<<10, 9, now()), now(), &v); err != nil {
		t.Fatal(err)
	}
	if l.gapCount != 1 || c.last != 9 {
		t.Errorf("a gap of 2 messages: %d gaps, last %d", l.gapCount, c.last)
	}
}

func TestProcAddr(t *testing.T) {
	got, err := procAddr("127.0.0.1:8080")
	if err != nil || got != "0100007F:1F90" {
		t.Errorf("procAddr = %q, %v; want 0100007F:1F90", got, err)
	}
}

// TestSmokeFloor runs the smoke mode on the floor reference alone, the
// stalled subscriber included (its queue overflows and drops): every
// other subscriber must receive every message, in order and intact.
func TestSmokeFloor(t *testing.T) {
	if testing.Short() {
		t.Skip("about 10 s; skipped with -short")
	}
	o := Smoke(Options{
		Servers: []string{Floor}, Sizes: []int{20, 1 << 10}, Window: 8,
		Stalled: true, StalledRcvbuf: 4096, StalledFill: 1 << 20,
		Loops: 1, Command: testCommand(t),
	})
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	rep := Run(o)
	for _, rows := range []map[Cell]Row{rep.Rows[Floor], rep.Stalled[Floor]} {
		for cell, row := range rows {
			switch {
			case row.Err != nil:
				t.Errorf("%s: %v", cell, row.Err)
			case row.Deliveries == 0 || row.Loss.Lost != 0 || row.Loss.Failed != 0 || row.Loss.Extra != 0 || row.Gaps != 0 || row.ErrCount != 0:
				t.Errorf("%s: %d deliveries, loss %+v, %d gaps, %d errors %v", cell, row.Deliveries, row.Loss, row.Gaps, row.ErrCount, row.Errors)
			case row.AllocsOK && row.AllocsPerDelivery > 0.001:
				t.Errorf("%s: %.4f allocations per delivery", cell, row.AllocsPerDelivery)
			}
		}
	}
	if len(rep.Rows[Floor]) != len(o.Cells()) || len(rep.Stalled[Floor]) != len(o.StalledCells()) {
		t.Errorf("rows %d and stalled %d, want %d and %d", len(rep.Rows[Floor]), len(rep.Stalled[Floor]), len(o.Cells()), len(o.StalledCells()))
	}
	if !rep.OK() {
		t.Log(rep.Markdown("fanout floor test"))
		t.Error("the report is not OK")
	}
}
