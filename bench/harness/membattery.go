package harness

import (
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/fastws/fastws/bench/rawclient"
	"github.com/fastws/fastws/bench/servers"
)

// BatteryCommand returns the command that runs the echo server called name
// with the options o as a child process which calls ServeChildWith.
type BatteryCommand func(name string, o servers.Options) *exec.Cmd

// LimitSetting is one message limit the battery runs every server with,
// and the message size its read shapes send under it.
type LimitSetting struct {
	Limit int64 // servers.Options.Limit: 0 for each library's own default
	Size  int   // S, the payload of the frame, frag64k and frag1 shapes
}

// String names the setting: "own default" or the limit, as in "1 MiB".
func (l LimitSetting) String() string {
	if l.Limit == 0 {
		return "own default"
	}
	return sizeText(l.Limit)
}

// Shape is one way of sending a message that the battery measures.
type Shape int

// The battery's shapes, in the order they run on each server.
const (
	Frame   Shape = iota // S bytes in one frame
	Frag64k              // S bytes in 64 KiB fragments
	Frag1                // S bytes in 1-byte fragments
	Bomb                 // a compressed message inflating to BombSize, on BombConns connections at once
)

// Shapes lists every shape in its order.
var Shapes = []Shape{Frame, Frag64k, Frag1, Bomb}

func (s Shape) String() string {
	return [...]string{"frame", "frag64k", "frag1", "bomb"}[s]
}

// fragment returns the fragment size of a read shape (0: one frame).
func (s Shape) fragment() int {
	switch s {
	case Frag64k:
		return 64 << 10
	case Frag1:
		return 1
	}
	return 0
}

// BatteryOptions configures a memory battery.
type BatteryOptions struct {
	Servers   []string // each one of servers.Limited
	Limits    []LimitSetting
	BombSize  int64 // the bomb's inflated size
	BombConns int   // connections sending the bomb at once
	// Timeout bounds each shape, from the first connection to the last
	// answer.
	Timeout  time.Duration
	Command  BatteryCommand
	Progress io.Writer // a line per row; nil for none
}

// BatteryRow is one shape measured on one server under one limit.
type BatteryRow struct {
	Server string
	Limit  LimitSetting
	Shape  Shape
	Conns  int
	Frames int // frames per message

	// Resident memory of the server process, in bytes: before the shape
	// (after a collection), its high-water mark during the shape, and
	// after the shape and a collection, with the shape's connections
	// still open if the server kept them.
	Before, Peak, After int64
	PeakMethod          PeakMethod

	Wall    time.Duration // from the first write to the last answer
	CPU     time.Duration // the server's utime+stime over the same span, 10 ms ticks
	RunTime time.Duration // the server's threads' schedstat run time over it, ns; 0 if unavailable

	Results []rawclient.Result // one per connection
	Bound   int64              // fastws's rows: the most the shape may hold; 0 for the others
	Err     error              // the row could not be measured
}

// PeakGrowth is the peak RSS over the RSS before the shape.
func (r BatteryRow) PeakGrowth() int64 { return r.Peak - r.Before }

// AllEchoed reports whether every connection had its message echoed.
func (r BatteryRow) AllEchoed() bool {
	for _, res := range r.Results {
		if res.Kind != rawclient.Echoed {
			return false
		}
	}
	return len(r.Results) > 0
}

// BatteryReport is a whole battery's rows, by limit, server and shape.
type BatteryReport struct {
	Opts      BatteryOptions
	Start     time.Time
	Elapsed   time.Duration
	BombWire  int // the bomb's compressed payload, bytes
	Rows      []BatteryRow
	SetupErrs []error // failures outside any row
}

// RunBattery runs every shape on every server under every limit setting,
// each (server, limit) in a fresh server process with compression on.
func RunBattery(o BatteryOptions) *BatteryReport {
	rep := &BatteryReport{Opts: o, Start: time.Now()}
	defer func() { rep.Elapsed = time.Since(rep.Start) }()
	bomb, err := rawclient.Bomb(o.BombSize)
	if err != nil {
		rep.SetupErrs = append(rep.SetupErrs, fmt.Errorf("building the bomb: %w", err))
		return rep
	}
	rep.BombWire = len(bomb)
	for _, lim := range o.Limits {
		for _, name := range o.Servers {
			rep.Rows = append(rep.Rows, runBatteryServer(o, name, lim, bomb)...)
		}
	}
	return rep
}

// runBatteryServer measures every shape on one fresh server process.
func runBatteryServer(o BatteryOptions, name string, lim LimitSetting, bomb []byte) []BatteryRow {
	opts := servers.Options{Compress: true, Limit: lim.Limit}
	command := func(string, bool) *exec.Cmd { return o.Command(name, opts) }
	var rows []BatteryRow
	srv, err := startServer(command, name, true)
	for _, shape := range Shapes {
		row := BatteryRow{Server: name, Limit: lim, Shape: shape, Conns: 1}
		if shape == Bomb {
			row.Conns = o.BombConns
		}
		switch {
		case err != nil:
			row.Err = err
		default:
			measureShape(srv, &row, o, bomb)
		}
		row.Bound = fastwsBound(row)
		if o.Progress != nil {
			fmt.Fprintln(o.Progress, progressLine(row))
		}
		rows = append(rows, row)
	}
	if srv != nil {
		srv.stop()
	}
	return rows
}

// progressLine sums a row up in one line for stderr.
func progressLine(r BatteryRow) string {
	s := fmt.Sprintf("membench: %-8s %-11s %-7s ", r.Server, r.Limit, r.Shape)
	if r.Err != nil {
		return s + "error: " + r.Err.Error()
	}
	return s + fmt.Sprintf("%s, peak +%s, after GC %+.1f MiB, %s",
		outcomeText(r), formatMiB(r.PeakGrowth()), float64(r.After-r.Before)/(1<<20), FormatLatency(r.Wall))
}
