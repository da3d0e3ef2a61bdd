//go:build linux

package fastws

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
)

// A loop writes the output of its compressed connections after all the
// turn's reads rather than after each (eventLoop.settleLater). Many
// compressed clients on one loop, sending at once so that a turn reads
// several of them, each with two messages in flight, get every echo in
// order, and then close normally; plain clients on the same loop, which
// are settled after their own read, are served alongside.
func TestLoopCompressedSettleAfterTurn(t *testing.T) {
	rec := newRecorder(t)
	comp := &CompressionOptions{}
	_, url := startServer(t, DriverLoops, rec, &ServerOptions{Loops: 1, AcceptOptions: AcceptOptions{Compression: comp}})
	ctx := testCtx(t)
	const conns, rounds = 40, 25
	var clients []*Conn
	for i := range conns {
		opts := &DialOptions{Compression: comp}
		if i%4 == 3 {
			opts = nil // plain, settled as before
		}
		c, _, err := Dial(ctx, url, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		clients = append(clients, c)
		rec.waitOpen(t)
	}
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := func(r int) []byte { return jsonText(uint64(i*rounds+r), 100+(i*37+r*1009)%6000) }
			// Two in flight: the second is written before the first
			// echo is read.
			if err := c.WriteMessage(ctx, Text, msg(0)); err != nil {
				errs <- err
				return
			}
			for r := range rounds {
				if r+1 < rounds {
					if err := c.WriteMessage(ctx, Text, msg(r+1)); err != nil {
						errs <- err
						return
					}
				}
				_, got, err := c.ReadMessage(ctx)
				if err != nil || !bytes.Equal(got, msg(r)) {
					errs <- fmt.Errorf("client %d, message %d: %d bytes, %v", i, r, len(got), err)
					return
				}
			}
			errs <- c.Close(CloseNormal, "done")
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	for range conns {
		if ev := rec.waitClose(t); ev.Cause != ClosedByPeer || ev.Code != CloseNormal {
			t.Errorf("closed with %+v, want the peer's 1000", ev)
		}
	}
}
