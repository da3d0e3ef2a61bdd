package harness

import (
	"fmt"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/internal/loadgen"
)

// memorySettle is how long a server is left alone before its RSS is read,
// so that goroutines started by accepts and echoes have run.
const memorySettle = time.Second

// memoryMessageSize is the message each connection echoes once, by
// default (Load.MemoryEcho).
const memoryMessageSize = 1 << 10

// The compressed memory section echoes a larger message by default, the
// size at which compressors show their cost, and waits longer after it:
// fastws gives a connection's pooled flate writer back a second after its
// last compressed message.
const (
	compressedMemoryMessageSize = 16 << 10
	compressedMemoryIdle        = 2 * time.Second
	collectTimeout              = 30 * time.Second
)

// MemoryRow is one server's resident memory per connection.
type MemoryRow struct {
	Server     string
	Baseline   int64   // RSS before any connection, bytes
	IdlePerCon float64 // (RSS with every connection open and idle - Baseline) / conns
	EchoPerCon float64 // (RSS after each connection echoed once and sat idle - Baseline) / conns

	// Compressed loads only: the RSS per connection right after the
	// echoes, and after the idle one when the server has been made to
	// collect its garbage and return free memory to the OS; how long the
	// echoes took; the negotiated extension.
	EchoNowPerCon float64
	CollectedPer  float64
	EchoTime      time.Duration
	Extension     string

	Err error
}

// fileLimitHeadroom is what a process needs besides the connections.
const fileLimitHeadroom = 64

// checkFileLimit raises this process's file limit and reports whether it
// allows conns connections.
func checkFileLimit(conns int) error {
	limit, err := procstat.RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("cannot raise RLIMIT_NOFILE: %w", err)
	}
	if limit < uint64(conns+fileLimitHeadroom) {
		return fmt.Errorf("RLIMIT_NOFILE is %d, fewer than the %d needed for %d connections", limit, conns+fileLimitHeadroom, conns)
	}
	return nil
}

// measureMemory opens conns connections to a fresh server process and
// reads its RSS before, with the connections idle, and after each has
// echoed one message.
func measureMemory(command ServerCommand, name string, conns int, load Load) MemoryRow {
	if load.Compress {
		return measureCompressedMemory(command, name, conns, load)
	}
	row := MemoryRow{Server: name}
	srv, err := startServer(command, name, false)
	if err != nil {
		row.Err = err
		return row
	}
	defer srv.stop()
	if srv.nofile < uint64(conns+fileLimitHeadroom) {
		row.Err = fmt.Errorf("server RLIMIT_NOFILE is %d, too low for %d connections", srv.nofile, conns)
		return row
	}
	time.Sleep(memorySettle / 4)
	if row.Baseline, err = procstat.RSS(srv.pid()); err != nil {
		row.Err = err
		return row
	}
	client, err := loadgen.Connect(loadgen.Config{
		Addr: srv.addr, Conns: conns, Size: load.memoryEcho(), Text: load.Text, Loops: load.Loops,
	})
	if err != nil {
		row.Err = err
		return row
	}
	defer client.Close()
	time.Sleep(memorySettle)
	idle, err := procstat.RSS(srv.pid())
	if err != nil {
		row.Err = err
		return row
	}
	if err := client.Start(1, loadSlack); err != nil {
		row.Err = err
		return row
	}
	if err := client.Wait(loadSlack); err != nil {
		row.Err = err
		return row
	}
	time.Sleep(memorySettle)
	echoed, err := procstat.RSS(srv.pid())
	if err != nil {
		row.Err = err
		return row
	}
	if err := srv.alive(); err != nil {
		row.Err = err
		return row
	}
	row.IdlePerCon = float64(idle-row.Baseline) / float64(conns)
	row.EchoPerCon = float64(echoed-row.Baseline) / float64(conns)
	return row
}

// measureCompressedMemory opens conns compressed connections to a fresh
// server process and reads its RSS before any, with them idle after the
// handshake, right after each has echoed one compressed message,
// after compressedMemoryIdle more, and then once the server has collected
// its garbage.
func measureCompressedMemory(command ServerCommand, name string, conns int, load Load) MemoryRow {
	row := MemoryRow{Server: name}
	fail := func(err error) MemoryRow {
		row.Err = err
		return row
	}
	srv, err := startServer(command, name, true)
	if err != nil {
		return fail(err)
	}
	defer srv.stop()
	if srv.nofile < uint64(conns+fileLimitHeadroom) {
		return fail(fmt.Errorf("server RLIMIT_NOFILE is %d, too low for %d connections", srv.nofile, conns))
	}
	time.Sleep(memorySettle / 4)
	if row.Baseline, err = procstat.RSS(srv.pid()); err != nil {
		return fail(err)
	}
	client, err := loadgen.Connect(loadgen.Config{
		Addr: srv.addr, Conns: conns, Size: load.memoryEcho(), Loops: load.Loops, Compress: true,
		Offer: load.Offer,
	})
	if err != nil {
		return fail(err)
	}
	defer client.Close()
	row.Extension = client.Extension()
	time.Sleep(memorySettle)
	idle, err := procstat.RSS(srv.pid())
	if err != nil {
		return fail(err)
	}
	t0 := time.Now()
	if err := client.Start(1, loadSlack); err != nil {
		return fail(err)
	}
	if err := client.Wait(loadSlack); err != nil {
		return fail(err)
	}
	row.EchoTime = time.Since(t0)
	echoNow, err := procstat.RSS(srv.pid())
	if err != nil {
		return fail(err)
	}
	time.Sleep(compressedMemoryIdle)
	echoed, err := procstat.RSS(srv.pid())
	if err != nil {
		return fail(err)
	}
	if err := srv.collectGarbage(collectTimeout); err != nil {
		return fail(err)
	}
	collected, err := procstat.RSS(srv.pid())
	if err != nil {
		return fail(err)
	}
	if err := srv.alive(); err != nil {
		return fail(err)
	}
	per := func(rss int64) float64 { return float64(rss-row.Baseline) / float64(conns) }
	row.IdlePerCon, row.EchoNowPerCon, row.EchoPerCon, row.CollectedPer = per(idle), per(echoNow), per(echoed), per(collected)
	return row
}
