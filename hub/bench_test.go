package hub

import (
	"fmt"
	"testing"

	"github.com/fastws/fastws"
)

// countSub takes every message and keeps only the count: the hub's own
// cost per delivery, without a connection's.
type countSub struct{ n int }

func (c *countSub) WritePrepared(*fastws.PreparedMessage) error { c.n++; return nil }

func BenchmarkDeliver(b *testing.B) {
	for _, subs := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint(subs), func(b *testing.B) {
			h := New()
			for range subs {
				h.Subscribe(&countSub{}, "t")
			}
			pm, _ := fastws.NewPreparedMessage(fastws.Binary, make([]byte, 20))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				h.Deliver("t", pm)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*subs), "ns/delivery")
		})
	}
}
