package deflate

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/fastws/fastws/internal/flatecheck"
	"github.com/fastws/fastws/internal/loadgen"
	"github.com/klauspost/compress/flate"
)

// encoderInputs are the kinds of input whose blocks come out differently:
// nothing, one byte, long runs (matches of the maximum length), text,
// random bytes (stored blocks), and a message of many chunks that slides
// the history several times.
func encoderInputs(r *rand.Rand) [][]byte {
	random := make([]byte, 20000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	return [][]byte{
		nil,
		{'x'},
		bytes.Repeat([]byte{0}, 70000),
		jsonish(r, 1024),
		random,
		jsonish(r, 300<<10),
		bytes.Repeat([]byte("ab"), 3),
		jsonish(r, 16<<10),
		append(jsonish(r, 5000), random[:3000]...),
	}
}

// writeChopped compresses msg through c in writes of random sizes, with a
// mid-message Flush now and then (as NextWriter does), and returns the
// message's compressed bytes without the tail.
func writeChopped(c *Compressor, r *rand.Rand, msg []byte) []byte {
	c.Begin(nil)
	for rest := msg; len(rest) > 0; {
		n := min(len(rest), 1+r.IntN(3000))
		c.Write(rest[:n])
		rest = rest[n:]
		if r.IntN(8) == 0 {
			c.Flush()
		}
	}
	return c.End()
}

// Every kind of input, whole or chopped, inflates again with the standard
// library's decompressor, as one stream across messages with context
// takeover and message by message without, at every window size; no
// reference reaches past the window.
func TestEncoderRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	inputs := encoderInputs(r)
	for bits := 8; bits <= 15; bits++ {
		for _, takeover := range []bool{true, false} {
			c := NewCompressor(1, bits, takeover)
			var stream []byte // what the peer's inflater sees, tails put back
			var want []byte
			for round := range 2 {
				for i, msg := range inputs {
					var comp []byte
					if round == 0 {
						comp = c.Compress(nil, msg)
					} else {
						comp = writeChopped(c, r, msg)
					}
					if err := flatecheck.CheckDistances(comp, 1<<bits); err != nil {
						t.Fatalf("bits %d takeover %v input %d: %v", bits, takeover, i, err)
					}
					if !takeover {
						got, err := io.ReadAll(stdflate.NewReader(bytes.NewReader(append(comp, 0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff))))
						if err != nil || !bytes.Equal(got, msg) {
							t.Fatalf("bits %d input %d (%d bytes): round trip differs (%v)", bits, i, len(msg), err)
						}
						continue
					}
					stream = append(append(stream, comp...), 0, 0, 0xff, 0xff)
					want = append(want, msg...)
				}
			}
			if !takeover {
				continue
			}
			got, err := io.ReadAll(stdflate.NewReader(bytes.NewReader(append(stream, 1, 0, 0, 0xff, 0xff))))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("bits %d with context takeover: the stream does not inflate to the messages (%v)", bits, err)
			}
		}
	}
}

// With context takeover a repeated message refers to the last one: the
// second costs a few bytes, also after the table was given back (it is
// rebuilt from the history), and the stream still inflates.
func TestEncoderUsesContext(t *testing.T) {
	msg := jsonish(rand.New(rand.NewPCG(7, 8)), 2000)
	c := NewCompressor(1, 15, true)
	var stream []byte
	var sizes []int
	for i := range 3 {
		if i == 2 {
			c.Release()
		}
		comp := c.Compress(nil, msg)
		sizes = append(sizes, len(comp))
		stream = append(append(stream, comp...), 0, 0, 0xff, 0xff)
	}
	if sizes[0] < 200 || sizes[1] > sizes[0]/10 || sizes[2] > sizes[0]/10 {
		t.Fatalf("a 2000-byte message repeated took %v bytes (the third after Release)", sizes)
	}
	got, err := io.ReadAll(stdflate.NewReader(bytes.NewReader(append(stream, 1, 0, 0, 0xff, 0xff))))
	if err != nil || !bytes.Equal(got, bytes.Repeat(msg, 3)) {
		t.Fatalf("the stream does not inflate to the messages (%v)", err)
	}
}

// A connection with context takeover keeps its history and the table,
// bounded by the window plus a chunk, however much it sent.
func TestEncoderMemoryBound(t *testing.T) {
	for _, bits := range []int{9, 15} {
		c := NewCompressor(1, bits, true)
		r := rand.New(rand.NewPCG(9, 10))
		for i := range 50 {
			c.Compress(nil, jsonish(r, 1+i*977))
		}
		if got, limit := cap(c.enc.hist), 1<<bits+chunkSize; got > limit {
			t.Errorf("bits %d: the history's buffer is %d bytes, over the window plus a chunk (%d)", bits, got, limit)
		}
		if c.Idle() || c.enc.table == nil {
			t.Errorf("bits %d: a busy compressor gave its table back", bits)
		}
		c.Release()
		if !c.Idle() || c.enc.table != nil {
			t.Errorf("bits %d: Release kept the table", bits)
		}
	}
}

// Any input, cut into messages and writes anywhere, at any window size,
// inflates again to itself as one stream, and refers no further back
// than the window.
func FuzzEncoder(f *testing.F) {
	f.Add([]byte(`{"id":1,"name":"alice"},{"id":2,"name":"alice"}`), uint8(15), uint16(7), uint16(3))
	f.Add(bytes.Repeat([]byte{0}, 600), uint8(8), uint16(300), uint16(1))
	f.Add([]byte("abcabcabcabcabc"), uint8(9), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, bits uint8, cut, step uint16) {
		bits = 8 + bits%8
		c := NewCompressor(1, int(bits), true)
		// Two messages, the first cut at cut; each written step bytes
		// at a time (all at once for 0).
		at := int(cut) % (len(data) + 1)
		var stream []byte
		for _, msg := range [][]byte{data[:at], data[at:]} {
			c.Begin(nil)
			for rest := msg; len(rest) > 0; {
				n := len(rest)
				if step > 0 {
					n = min(n, int(step))
				}
				c.Write(rest[:n])
				rest = rest[n:]
			}
			comp := c.End()
			if err := flatecheck.CheckDistances(comp, 1<<bits); err != nil {
				t.Fatalf("bits %d: %v", bits, err)
			}
			stream = append(append(stream, comp...), 0, 0, 0xff, 0xff)
		}
		got, err := io.ReadAll(stdflate.NewReader(bytes.NewReader(append(stream, 1, 0, 0, 0xff, 0xff))))
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("bits %d, cut %d, step %d: round trip differs (%v)", bits, at, step, err)
		}
	})
}

// BenchmarkContext compresses 1 KiB JSON messages with context takeover
// on conns connections in turn: with 100, each connection's table and
// history have left the nearer caches by its next message, as in a
// server.
func BenchmarkContext(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	msgs := make([][]byte, 256)
	for i := range msgs {
		msgs[i] = jsonish(r, 1024)
	}
	for _, conns := range []int{1, 100} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) {
			cs := make([]*Compressor, conns)
			for i := range cs {
				cs[i] = NewCompressor(1, 15, true)
				for _, m := range msgs[:40] {
					cs[i].Compress(nil, m)
				}
			}
			out := make([]byte, 0, 4096)
			var in, comp int
			for i := 0; b.Loop(); i++ {
				m := msgs[i%len(msgs)]
				out = cs[i%conns].Compress(out[:0], m)
				in += len(m)
				comp += len(out)
			}
			b.ReportMetric(float64(comp)/float64(in), "ratio")
		})
	}
}

// BenchmarkCompressOrders compresses the compressed echo's own messages
// (the load generator's JSON, 64 documents per size, cycled as the bench
// cycles them) with context takeover on 100 connections in turn, and
// reports the compressed size over the raw one, as the bench's
// server→client / raw column does (without frame headers). The
// klauspost rows keep a level-1 writer per connection and flush it after
// every message, as fastws did before its own encoder: a comparison of
// time and ratio. (Their ratio here, 0.306 and 0.223, is not the bench's
// 0.278 and 0.221 of 2026-11-22, which issue 16 holds the encoder to; the
// bench's writers had seen other messages in another order.)
func BenchmarkCompressOrders(b *testing.B) {
	const conns = 100
	for _, size := range []int{1 << 10, 16 << 10} {
		msgs := make([][]byte, 64)
		for i := range msgs {
			msgs[i] = loadgen.JSONMessage(size, i)
		}
		b.Run(fmt.Sprintf("fastws/%dKiB", size>>10), func(b *testing.B) {
			cs := make([]*Compressor, conns)
			out := make([]byte, 0, 2*size)
			for i := range cs {
				cs[i] = NewCompressor(1, 15, true)
				for _, m := range msgs[:8] {
					out = cs[i].Compress(out[:0], m)
				}
			}
			var in, comp int
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				m := msgs[(8+i/conns)%len(msgs)]
				out = cs[i%conns].Compress(out[:0], m)
				in += len(m)
				comp += len(out)
			}
			b.ReportMetric(float64(comp)/float64(in), "ratio")
		})
		b.Run(fmt.Sprintf("klauspost/%dKiB", size>>10), func(b *testing.B) {
			ws := make([]*flate.Writer, conns)
			var buf bytes.Buffer
			for i := range ws {
				ws[i], _ = flate.NewWriter(&buf, 1)
				for _, m := range msgs[:8] {
					_, _ = ws[i].Write(m)
					_ = ws[i].Flush()
				}
			}
			var in, comp int
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				m := msgs[(8+i/conns)%len(msgs)]
				buf.Reset()
				w := ws[i%conns]
				_, _ = w.Write(m)
				_ = w.Flush()
				in += len(m)
				comp += buf.Len() - 4
			}
			b.ReportMetric(float64(comp)/float64(in), "ratio")
		})
	}
}
