package streamcopy

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestQuickRun copies 8 MiB through every transport in both copy modes,
// with a fastws MaxFrameSize row, and checks that each copy delivered
// every byte intact and that the report has its rows and ratios.
func TestQuickRun(t *testing.T) {
	const size = 8 << 20
	cases, err := Cases(TransportKeys, 256<<10, 16<<10)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{Size: size, Runs: 2, Cases: cases, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Cases) != 8 || len(rep.Baseline) != 2 {
		t.Fatalf("%d cases, %d baselines; want 8 and 2", len(rep.Cases), len(rep.Baseline))
	}
	for _, cr := range append(rep.Baseline, rep.Cases...) {
		name := cr.Case.Transport.Name + ", " + cr.Case.CopyName()
		if len(cr.Runs) != 2 {
			t.Errorf("%s: %d runs, want 2", name, len(cr.Runs))
		}
		for _, r := range cr.Runs {
			if r.Err != nil {
				t.Errorf("%s: %v", name, r.Err)
			} else if r.Bytes != size || r.Wall <= 0 || r.CPU <= 0 {
				t.Errorf("%s: implausible %+v", name, r)
			}
		}
	}
	md := rep.Markdown()
	for _, want := range []string{"| raw TCP | io.Copy |", "| fastws Stream | io.CopyBuffer 256 KiB |", "| coder NetConn | io.Copy |",
		"| fastws Stream / raw TCP | io.Copy |", "| fastws Stream / coder NetConn | io.CopyBuffer 256 KiB |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "Failed runs") {
		t.Errorf("report has failed runs:\n%s", md)
	}
}

// TestSinkChecksEveryByte runs a Source into a Sink in awkward chunk
// sizes, then checks that one altered, missing or extra byte is caught.
func TestSinkChecksEveryByte(t *testing.T) {
	pat, err := NewPattern(1000)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10_000
	stream := make([]byte, 0, n)
	src := NewSource(pat, n)
	for i := 1; ; i++ { // chunks of 1, 2, 3, ... bytes: at most 141 reads
		buf := make([]byte, i)
		k, err := src.Read(buf)
		stream = append(stream, buf[:k]...)
		if err == io.EOF {
			break
		}
		if k != i && len(stream) != n {
			t.Fatalf("short read %d of %d before the end", k, i)
		}
	}
	if len(stream) != n {
		t.Fatalf("source gave %d bytes, want %d", len(stream), n)
	}

	feed := func(data []byte) *Sink {
		s := NewSink(pat)
		for len(data) > 0 { // chunks of 777 bytes
			k := min(777, len(data))
			s.Write(data[:k])
			data = data[k:]
		}
		return s
	}
	if err := feed(stream).Check(n); err != nil {
		t.Fatalf("intact stream: %v", err)
	}
	bad := append([]byte(nil), stream...)
	bad[4321] ^= 1
	if err := feed(bad).Check(n); err == nil || !strings.Contains(err.Error(), "offset 4321 ") {
		t.Errorf("altered byte: %v", err)
	}
	if err := feed(stream[:n-1]).Check(n); err == nil {
		t.Error("missing byte not caught")
	}
	if err := feed(append(stream[:n:n], pat[n%len(pat)])).Check(n); err == nil {
		t.Error("extra byte not caught")
	}
	// A repeated chunk: the pattern's period (1000) is not a multiple of
	// the repeated span.
	if err := feed(append(stream[:5000:5000], stream[4777:]...)).Check(n + 223); err == nil {
		t.Error("duplicated chunk not caught")
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"1GiB": 1 << 30, "256MiB": 256 << 20, "256KiB": 256 << 10, "17": 17, "0": 0, "5B": 5} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1MiB", "1TiB"} {
		if _, err := ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) succeeded", in)
		}
	}
	if s := FormatBytes(256 << 10); s != "256 KiB" {
		t.Errorf("FormatBytes(256 KiB) = %q", s)
	}
}

// TestCopyIsBounded checks that a copy whose stream never ends (the sender
// does not close) fails at the deadline instead of hanging.
func TestCopyIsBounded(t *testing.T) {
	tr := TCP()
	open := tr.Open
	tr.Open = func(ctx context.Context) (*Ends, error) {
		e, err := open(ctx)
		if err == nil {
			e.CloseSend = func() error { return nil } // the receiver never sees EOF
		}
		return e, err
	}
	pat, err := NewPattern(DefaultPatternSize)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := CopyOnce(context.Background(), Case{Transport: tr}, pat, 1<<20, 300*time.Millisecond)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "timeout") {
		t.Errorf("want a timeout, got %v", r.Err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}
