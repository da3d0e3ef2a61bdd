package streamcopy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/fastws/fastws/bench/procstat"
)

// Case is one row of the benchmark: a transport and how to copy.
type Case struct {
	Transport Transport
	Buffer    int // 0: io.Copy; else io.CopyBuffer with a buffer of this size
}

// CopyName says how the case copies.
func (c Case) CopyName() string {
	if c.Buffer <= 0 {
		return "io.Copy"
	}
	return "io.CopyBuffer " + FormatBytes(int64(c.Buffer))
}

// Result is one measured copy.
type Result struct {
	Bytes int64         // bytes the sink received (and checked)
	Wall  time.Duration // from the first byte read from the source to the end of both copies and the close
	CPU   time.Duration // process CPU time (user + system, all threads) over the same span
	Err   error
}

// copyWith copies src to dst with io.Copy, or with io.CopyBuffer and a
// buffer of buf's size. For io.CopyBuffer both sides are wrapped so that
// neither's ReadFrom or WriteTo (net.TCPConn has both) bypasses the buffer.
func copyWith(dst io.Writer, src io.Reader, buf []byte) (int64, error) {
	if buf == nil {
		return io.Copy(dst, src)
	}
	return io.CopyBuffer(writerOnly{dst}, readerOnly{src}, buf)
}

type writerOnly struct{ io.Writer }
type readerOnly struct{ io.Reader }

// CopyOnce opens a fresh connection of the case's transport and copies n
// bytes of pat through it: a sender goroutine copies a Source to the
// sending end and closes it, the receiving goroutine copies the receiving
// end to a Sink until io.EOF. Set-up and tear-down are not timed. The
// whole copy must finish within timeout: both ends get that deadline.
func CopyOnce(ctx context.Context, c Case, pat Pattern, n int64, timeout time.Duration) Result {
	openCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ends, err := c.Transport.Open(openCtx)
	if err != nil {
		return Result{Err: fmt.Errorf("connect: %w", err)}
	}
	defer ends.Close()
	if err := ends.SetDeadline(time.Now().Add(timeout)); err != nil {
		return Result{Err: fmt.Errorf("deadline: %w", err)}
	}
	var sendBuf, recvBuf []byte
	if c.Buffer > 0 {
		sendBuf, recvBuf = make([]byte, c.Buffer), make([]byte, c.Buffer)
	}
	src, sink := NewSource(pat, n), NewSink(pat)
	sent := make(chan error, 1)

	runtime.GC() // start each run with the previous one's garbage collected
	cpu0, err := procstat.SelfCPUTime()
	if err != nil {
		return Result{Err: err}
	}
	t0 := time.Now()
	go func() {
		_, err := copyWith(ends.Send, src, sendBuf)
		if err != nil {
			err = fmt.Errorf("send: %w", err)
		} else if cerr := ends.CloseSend(); cerr != nil {
			err = fmt.Errorf("close after sending: %w", cerr)
		}
		if err != nil {
			ends.Close() // unblocks the receiver
		}
		sent <- err
	}()
	_, rerr := copyWith(sink, ends.Recv, recvBuf)
	if rerr != nil {
		ends.Close() // unblocks the sender
	}
	serr := <-sent
	wall := time.Since(t0)
	cpu1, err := procstat.SelfCPUTime()
	if err != nil {
		return Result{Err: err}
	}
	res := Result{Bytes: sink.Received(), Wall: wall, CPU: cpu1 - cpu0}
	if rerr != nil {
		rerr = fmt.Errorf("receive: %w", rerr)
	}
	res.Err = errors.Join(rerr, serr)
	if res.Err == nil {
		res.Err = sink.Check(n)
	}
	return res
}

// MemoryOnce copies n bytes of pat from a Source straight to a Sink, with
// no transport: what the harness itself costs, in one goroutine.
func MemoryOnce(pat Pattern, n int64, buffer int) Result {
	var buf []byte
	if buffer > 0 {
		buf = make([]byte, buffer)
	}
	src, sink := NewSource(pat, n), NewSink(pat)
	runtime.GC()
	cpu0, err := procstat.SelfCPUTime()
	if err != nil {
		return Result{Err: err}
	}
	t0 := time.Now()
	_, err = copyWith(sink, src, buf)
	wall := time.Since(t0)
	cpu1, cerr := procstat.SelfCPUTime()
	res := Result{Bytes: sink.Received(), Wall: wall, CPU: cpu1 - cpu0, Err: errors.Join(err, cerr)}
	if res.Err == nil {
		res.Err = sink.Check(n)
	}
	return res
}
