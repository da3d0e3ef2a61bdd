package harness

import (
	"fmt"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/internal/loadgen"
)

// Timing is how long each cell runs.
type Timing struct {
	Warmup   time.Duration // load before the measured window
	Duration time.Duration // the measured window
}

// Load is what the load generator sends, the same for every cell.
type Load struct {
	Text  bool // text messages instead of binary
	Loops int  // load-generator event loops
	// Compress runs the servers with permessage-deflate and sends JSON
	// text compressed once in advance (loadgen.Config.Compress).
	Compress bool
	// MemoryEcho is the message each connection of the memory section
	// echoes once; 0 means 1 KiB, or 16 KiB when Compress is set.
	MemoryEcho int
	// Offer is a compressed load's permessage-deflate offer; empty means
	// loadgen.DeflateOffer.
	Offer string
}

// offer is the compressed load's permessage-deflate offer.
func (l Load) offer() string {
	if l.Offer != "" {
		return l.Offer
	}
	return loadgen.DeflateOffer
}

// memoryEcho is the memory section's message size.
func (l Load) memoryEcho() int {
	switch {
	case l.MemoryEcho > 0:
		return l.MemoryEcho
	case l.Compress:
		return compressedMemoryMessageSize
	}
	return memoryMessageSize
}

// Row is one server's result in one cell.
type Row struct {
	Server      string
	MsgsPerSec  float64
	P50, P99    time.Duration
	ServerCPU   time.Duration // server CPU time per message
	LoadgenCPU  time.Duration // load-generator CPU time per message
	ServerCores float64       // server CPU time / window: cores busy
	// Wire counts the bytes of the echoes in the window; Extension is the
	// server's Sec-WebSocket-Extensions response (compressed loads).
	Wire      loadgen.Wire
	Extension string
	Err       error
	// Runs is how many runs the row merges (Options.Rounds), and CPUMin
	// and CPUMax the range of their server CPU per message.
	Runs           int
	CPUMin, CPUMax time.Duration
}

// loadSlack is how long the load may outlast its planned time before the
// load generator gives up on being stopped.
const loadSlack = 30 * time.Second

// runCell measures one server under one cell's load, in a fresh server
// process.
func runCell(command ServerCommand, name string, cell Cell, timing Timing, load Load) Row {
	row := Row{Server: name}
	// Both ends need a descriptor per connection: a limit too low fails
	// the row, not the run.
	if err := checkFileLimit(cell.Conns); err != nil {
		row.Err = fmt.Errorf("load generator: %w", err)
		return row
	}
	srv, err := startServer(command, name, load.Compress)
	if err != nil {
		row.Err = err
		return row
	}
	defer srv.stop()
	if srv.nofile < uint64(cell.Conns+fileLimitHeadroom) {
		row.Err = fmt.Errorf("server RLIMIT_NOFILE is %d, too low for %d connections", srv.nofile, cell.Conns)
		return row
	}
	client, err := loadgen.Connect(loadgen.Config{
		Addr: srv.addr, Conns: cell.Conns, Size: cell.Size, Text: load.Text, Loops: load.Loops,
		Compress: load.Compress, Offer: load.Offer,
	})
	if err != nil {
		row.Err = err
		return row
	}
	defer client.Close()
	row.Extension = client.Extension()
	if err := client.Start(0, timing.Warmup+timing.Duration+loadSlack); err != nil {
		row.Err = err
		return row
	}
	if err := measureWindow(client, srv, timing, &row); err != nil {
		_ = client.Stop()
		row.Err = err
	}
	return row
}

// measureWindow waits out the warm-up, then samples the server's and the
// load generator's CPU time around a window in which the client counts
// and times echoes.
func measureWindow(client *loadgen.Client, srv *serverProcess, timing Timing, row *Row) error {
	if err := sleepWhileRunning(client, srv, timing.Warmup); err != nil {
		return err
	}
	srv0, err := procstat.CPUTime(srv.pid())
	if err != nil {
		return err
	}
	self0, err := procstat.SelfCPUTime()
	if err != nil {
		return err
	}
	t0 := time.Now()
	client.SetRecording(true)
	if err := sleepWhileRunning(client, srv, timing.Duration); err != nil {
		return err
	}
	client.SetRecording(false)
	elapsed := time.Since(t0)
	srv1, err := procstat.CPUTime(srv.pid())
	if err != nil {
		return err
	}
	self1, err := procstat.SelfCPUTime()
	if err != nil {
		return err
	}
	if err := client.Stop(); err != nil {
		return err
	}
	msgs, hist := client.Result()
	if msgs == 0 {
		return fmt.Errorf("%s: no echo in %v", srv.Name, elapsed)
	}
	row.MsgsPerSec = float64(msgs) / elapsed.Seconds()
	row.P50, row.P99 = hist.Quantile(0.50), hist.Quantile(0.99)
	row.ServerCPU = (srv1 - srv0) / time.Duration(msgs)
	row.LoadgenCPU = (self1 - self0) / time.Duration(msgs)
	row.ServerCores = (srv1 - srv0).Seconds() / elapsed.Seconds()
	row.Wire = client.Wire()
	return nil
}

// sleepWhileRunning sleeps for d, returning early with an error if the
// load generator fails or the server exits.
func sleepWhileRunning(client *loadgen.Client, srv *serverProcess, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return srv.alive()
	case <-client.Done():
		if err := client.Stop(); err != nil {
			return err
		}
		return fmt.Errorf("%s: load generator stopped early", srv.Name)
	case <-srv.Exited:
		return srv.alive()
	}
}
