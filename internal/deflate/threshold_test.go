package deflate

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// records returns a JSON-like message of n bytes: records with the same
// fields and different values, as an application's messages are.
func records(r *rand.Rand, n int) []byte {
	names := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, `{"id":%d,"user":"%s","online":%v,"score":%d},`,
			r.IntN(1000000), names[r.IntN(len(names))], r.IntN(2) == 0, r.IntN(10000))
	}
	return []byte(b.String()[:n])
}

// BenchmarkSmallMessages measures what compressing small JSON-like
// messages costs and saves, with context takeover in steady state (the
// default): ns/op is the compression time, and saved-B/op the bytes it
// takes off the wire. It is the measurement behind the library's default
// threshold of 128 bytes: below it the saving is a few bytes for as much
// CPU as a small frame's whole round trip spends elsewhere.
func BenchmarkSmallMessages(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{16, 32, 64, 128, 256, 512, 1024} {
		b.Run(strconv.Itoa(n)+"B", func(b *testing.B) {
			msgs := make([][]byte, 4096)
			for i := range msgs {
				msgs[i] = records(r, n)
			}
			c := NewCompressor(1, 15, true)
			out := make([]byte, 0, 2*n+64)
			for _, m := range msgs { // warm the context
				out = c.Compress(out[:0], m)
			}
			var in, comp int
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				m := msgs[i%len(msgs)]
				out = c.Compress(out[:0], m)
				in += len(m)
				comp += len(out)
			}
			b.ReportMetric(float64(in-comp)/float64(b.N), "saved-B/op")
			b.ReportMetric(float64(comp)/float64(in), "ratio")
		})
	}
}
