package harness

import (
	"fmt"
	"sync"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/bench/rawclient"
	"github.com/fastws/fastws/bench/servers"
	"github.com/fastws/fastws/internal/loadgen"
)

// shapeSettle is how long the server is given to notice that a shape's
// connections have closed and drop them.
const shapeSettle = 200 * time.Millisecond

// boundSlack is the 64 KiB fastws's memory promises allow beyond the
// message (or the limit): a read buffer's worth.
const boundSlack = 64 << 10

// measureShape runs one shape on the server and fills in row's
// measurements: RSS before (the shape's connections open and idle, after
// a collection), the peak during the shape, RSS after it and another
// collection, CPU and wall time, and each connection's outcome.
func measureShape(srv *serverProcess, row *BatteryRow, o BatteryOptions, bomb []byte) {
	fail := func(err error) { row.Err = err }
	if err := srv.alive(); err != nil {
		fail(err)
		return
	}
	pid := srv.pid()
	msg, want, check, offer := shapeMessage(row.Shape, row.Limit.Size, bomb, o.BombSize)
	row.Frames = msg.Frames()
	// The connections are opened before the baseline, so that the rows
	// measure what the messages cost, not what the handshakes do.
	conns, err := dialAll(srv.addr, offer, row.Conns, o.Timeout)
	defer func() {
		closeAll(conns)
		// What the server held for these connections must be gone
		// before the next shape's baseline is taken.
		time.Sleep(shapeSettle)
	}()
	if err != nil {
		fail(err)
		return
	}
	if err := srv.collectGarbage(collectTimeout); err != nil {
		fail(err)
		return
	}
	if row.Before, err = procstat.RSS(pid); err != nil {
		fail(err)
		return
	}
	peak := startPeak(pid)
	row.PeakMethod = peak.method
	cpu0, err := procstat.CPUTime(pid)
	if err != nil {
		peak.finish()
		fail(err)
		return
	}
	run0, runErr := procstat.RunTime(pid)
	t0 := time.Now()
	row.Results = exchange(conns, msg, want, check, t0.Add(o.Timeout))
	row.Wall = time.Since(t0)
	cpu1, err := procstat.CPUTime(pid)
	if err != nil {
		peak.finish()
		fail(err)
		return
	}
	row.CPU = cpu1 - cpu0
	if run1, err := procstat.RunTime(pid); err == nil && runErr == nil {
		row.RunTime = run1 - run0
	}
	if row.Peak, err = peak.finish(); err != nil {
		fail(err)
		return
	}
	if err := srv.alive(); err != nil {
		fail(err) // e.g. killed for want of memory
		return
	}
	if err := srv.collectGarbage(collectTimeout); err != nil {
		fail(err)
		return
	}
	if row.After, err = procstat.RSS(pid); err != nil {
		fail(err)
	}
}

// shapeMessage returns what a shape sends on each connection: the
// message, the length and check of its echo, and the extension offer.
func shapeMessage(s Shape, size int, bomb []byte, bombSize int64) (rawclient.Message, int64, rawclient.Check, string) {
	if s == Bomb {
		return rawclient.Message{Payload: bomb, Deflated: true}, bombSize, rawclient.Zeros, rawclient.DeflateOffer
	}
	p := loadgen.Payload(size)
	return rawclient.Message{Payload: p, Fragment: s.fragment()}, int64(size), rawclient.Same(p), ""
}

// dialAll opens n connections with the offer.
func dialAll(addr, offer string, n int, timeout time.Duration) ([]*rawclient.Conn, error) {
	var conns []*rawclient.Conn
	for range n {
		c, err := rawclient.Dial(addr, offer, min(timeout, 10*time.Second))
		if err != nil {
			return conns, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

func closeAll(conns []*rawclient.Conn) {
	for _, c := range conns {
		_ = c.Close()
	}
}

// exchange sends the message on every connection at once and waits for
// each answer.
func exchange(conns []*rawclient.Conn, m rawclient.Message, want int64, check rawclient.Check, deadline time.Time) []rawclient.Result {
	results := make([]rawclient.Result, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			if err := c.SetDeadline(deadline); err != nil {
				results[i] = rawclient.Result{Kind: rawclient.Failed, Err: err}
				return
			}
			sent := make(chan error, 1)
			go func() { sent <- c.Send(m) }()
			r := c.Await(want, check, deadline)
			if r.Kind != rawclient.Echoed {
				// A server that stopped reading without closing would
				// hold the writer until the deadline.
				_ = c.Close()
			}
			if err := <-sent; err != nil && r.Kind == rawclient.Echoed {
				r = rawclient.Result{Kind: rawclient.Failed, Err: fmt.Errorf("echoed, yet the write failed: %w", err)}
			}
			results[i] = r
		})
	}
	wg.Wait()
	return results
}

// fastwsBound is what fastws promises the row's shape holds at most
// (AppendMessage's and MaxMessageSize's docs): a message of n bytes in one
// frame 1.25 n + 64 KiB, a fragmented one 2 n + 64 KiB (its size is not
// known until its last fragment, so its bytes wait in pooled chunks and
// are then copied once), and a bomb the limit plus 64 KiB on each
// connection. 0 for the other servers.
func fastwsBound(r BatteryRow) int64 {
	if !servers.IsFastws(r.Server) {
		return 0
	}
	limit := r.Limit.Limit
	if limit == 0 {
		limit = fastws.DefaultMaxMessageSize
	}
	if r.Shape == Bomb {
		return int64(r.Conns) * (limit + boundSlack)
	}
	n := int64(r.Limit.Size)
	if n > limit {
		return limit + boundSlack
	}
	if r.Shape == Frame {
		return n + n/4 + boundSlack
	}
	return 2*n + boundSlack
}
