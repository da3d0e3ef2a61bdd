package fanout

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/fastws/fastws/wsframe"
	"github.com/klauspost/compress/flate"
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
	rep := runSmoke(t, o, nil)
	check := func(label string, row Row) { t.Helper(); checkSmokeRow(t, label, row) }
	for _, name := range o.Servers {
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

// runSmoke runs o and checks each of its main table's rows with
// checkSmokeRow, and with extra when set.
func runSmoke(t *testing.T, o Options, extra func(name string, cell Cell, row Row)) *Report {
	t.Helper()
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	rep := Run(o)
	for _, name := range o.Servers {
		for _, cell := range o.Cells() {
			row, ok := rep.Rows[name][cell]
			if !ok {
				t.Errorf("%s %s: no row", name, cell)
				continue
			}
			checkSmokeRow(t, name+" "+cell.String(), row)
			if extra != nil && row.Err == nil {
				extra(name, cell, row)
			}
		}
	}
	return rep
}

// checkSmokeRow fails t unless row says that every subscriber received
// every message of the window, in order and intact, with plausible
// figures.
func checkSmokeRow(t *testing.T, label string, row Row) {
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

// TestSmokeCompressed runs the compressed servers in smoke mode at 1 KiB
// (about 15 s): every subscriber inflates and checks every message, and
// the wire carries less than the messages' size.
func TestSmokeCompressed(t *testing.T) {
	if testing.Short() {
		t.Skip("about 15 s; skipped with -short")
	}
	o := Smoke(Options{Servers: CompressedNames, Sizes: []int{1 << 10}, Window: 8, Loops: 1, Command: testCommand(t)})
	rep := runSmoke(t, o, func(name string, cell Cell, row Row) {
		if row.WireRatio <= 0.05 || row.WireRatio >= 0.7 {
			t.Errorf("%s %s: wire / raw %.3f, not what compressed JSON gives", name, cell, row.WireRatio)
		}
	})
	md := rep.Markdown("fanout compressed test")
	if !strings.Contains(md, "compressing once (`"+FastwsLoopDeflateShared+"`) costs") {
		t.Error("the report does not compare compressing once with compressing per connection")
	}
	if !rep.OK() || t.Failed() {
		t.Log(md)
		t.Error("the report is not OK")
	}
}

// serverFrame returns the frame a server sends for the message the
// publisher frames as seq: the payload unmasked, behind an unmasked
// header.
func serverFrame(size int, seq, stamp int64) []byte {
	tmpl := newFrameTemplate(filler[:size])
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

// zippedServerFrames returns the frames a compressing server sends for
// messages seqs of size bytes (JSON documents): with takeover, one
// compressor carries its history from message to message.
func zippedServerFrames(t *testing.T, size int, takeover bool, seqs ...int64) [][]byte {
	t.Helper()
	var out bytes.Buffer
	zw, err := flate.NewWriter(&out, 1)
	if err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	for _, seq := range seqs {
		msg := bytes.Clone(jsonBody(size, seq))
		binary.LittleEndian.PutUint64(msg[0:8], uint64(seq))
		binary.LittleEndian.PutUint64(msg[8:16], uint64(now()))
		if !takeover {
			zw.Reset(&out)
		}
		out.Reset()
		if _, err := zw.Write(msg); err != nil {
			t.Fatal(err)
		}
		if err := zw.Flush(); err != nil {
			t.Fatal(err)
		}
		z := bytes.TrimSuffix(out.Bytes(), []byte("\x00\x00\xff\xff"))
		frame := wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpBinary, Length: int64(len(z))})
		frames = append(frames, append(frame, z...))
	}
	return frames
}

// TestFeedCompressed checks the subscribers' parser in a compressed run:
// compressed frames with and without the server's context, split at
// every byte, inflated and checked; a plain frame between them; a
// corrupted compressed byte and a frame with a stray RSV bit noticed.
func TestFeedCompressed(t *testing.T) {
	for _, takeover := range []bool{true, false} {
		t.Run(fmt.Sprintf("takeover=%v", takeover), func(t *testing.T) {
			s := &subscribers{nodes: 1, deflate: true, acct: make([]atomic.Int32, ringSize), notify: make(chan struct{}, 1), oldest: 5}
			s.live.Store(1)
			s.sizes.Store(&[]sizeFrom{})
			s.setSize(5, 1<<10)
			l := &subLoop{s: s}
			v := view{rec: true, sizes: *s.sizes.Load(), live: 1, start: 5, end: 9}
			frames := zippedServerFrames(t, 1<<10, takeover, 5, 6, 8)
			var stream []byte
			stream = append(stream, frames[0]...)
			// Message 6 in fragments, as gorilla sends one larger
			// than its write buffer: the compressed payload cut in
			// two, then an empty final continuation.
			h, n, err := wsframe.ParseHeader(frames[1])
			if err != nil || n == 0 {
				t.Fatal(err)
			}
			z := frames[1][n:]
			stream = wsframe.AppendHeader(stream, wsframe.Header{Rsv: h.Rsv, Opcode: wsframe.OpBinary, Length: int64(len(z) / 2)})
			stream = append(stream, z[:len(z)/2]...)
			stream = wsframe.AppendHeader(stream, wsframe.Header{Opcode: wsframe.OpContinuation, Length: int64(len(z) - len(z)/2)})
			stream = append(stream, z[len(z)/2:]...)
			stream = wsframe.AppendHeader(stream, wsframe.Header{Fin: true, Opcode: wsframe.OpContinuation})
			// A message the server sent uncompressed (as under its
			// threshold): not part of the compressor's history.
			plain := bytes.Clone(jsonBody(1<<10, 7))
			binary.LittleEndian.PutUint64(plain[0:8], 7)
			stream = append(stream, wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: wsframe.OpBinary, Length: int64(len(plain))})...)
			stream = append(stream, plain...)
			stream = append(stream, frames[2]...)
			c := &subConn{last: 4, dfl: &deflateState{takeover: takeover}}
			for i := range stream {
				if err := l.feed(c, stream[i:i+1], now(), &v); err != nil {
					t.Fatalf("byte %d: %v", i, err)
				}
			}
			ns := l.nodes[0]
			if c.last != 8 || c.got != 4 || ns.deliveries != 4 {
				t.Fatalf("after four messages: last %d, got %d, deliveries %d", c.last, c.got, ns.deliveries)
			}
			if ratio := float64(ns.wire) / float64(4<<10); ratio >= 0.75 || ratio <= 0.25 {
				t.Errorf("wire / raw %.3f: want the three compressed messages well below their size", ratio)
			}
			if takeover && len(c.dfl.hist) != 3<<10 {
				t.Errorf("history %d bytes after three compressed 1 KiB messages", len(c.dfl.hist))
			}
			if !takeover && len(c.dfl.hist) != 0 {
				t.Errorf("history %d bytes without takeover", len(c.dfl.hist))
			}

			bad := zippedServerFrames(t, 1<<10, false, 9)[0]
			bad[len(bad)-3] ^= 0x55
			if err := l.feed(&subConn{last: 8, dfl: &deflateState{}}, bad, now(), &v); err == nil {
				t.Error("a corrupted compressed byte went unnoticed")
			}
			rsv2 := bytes.Clone(frames[0])
			rsv2[0] |= wsframe.Rsv2
			if err := l.feed(&subConn{last: 4, dfl: &deflateState{}}, rsv2, now(), &v); err == nil {
				t.Error("a frame with RSV2 went unnoticed")
			}
			if err := l.feed(&subConn{last: 4}, frames[0], now(), &v); err == nil {
				t.Error("a compressed frame on a connection without permessage-deflate went unnoticed")
			}
			cont := wsframe.AppendHeader(nil, wsframe.Header{Fin: true, Opcode: wsframe.OpContinuation, Length: 1})
			if err := l.feed(&subConn{last: 4, dfl: &deflateState{}}, append(cont, 0), now(), &v); err == nil {
				t.Error("a continuation without a message went unnoticed")
			}
		})
	}
}

func TestParseDeflateResponse(t *testing.T) {
	for ext, want := range map[string]bool{
		"permessage-deflate": true,
		"permessage-deflate; server_no_context_takeover; client_no_context_takeover": false,
		"permessage-deflate; client_max_window_bits=15":                              true,
	} {
		if got, err := parseDeflateResponse(ext); err != nil || got != want {
			t.Errorf("%q: takeover %v, %v; want %v", ext, got, err, want)
		}
	}
	if _, err := parseDeflateResponse(""); err == nil {
		t.Error("no extension accepted")
	}
}
