package loadgen

import (
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {1, time.Millisecond}} {
		got := h.Quantile(tc.q)
		if diff := got - tc.want; diff < -tc.want/50 || diff > tc.want/50 {
			t.Errorf("Quantile(%v) = %v, want %v within 2%%", tc.q, got, tc.want)
		}
	}
	if h.Count() != 1000 {
		t.Errorf("Count = %d", h.Count())
	}
	for _, d := range []time.Duration{0, 63, 64, 1<<20 + 5, time.Hour} {
		i := bucketOf(uint64(d))
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d", d, i)
		}
		if mid := bucketMid(i); d < time.Hour && (mid < d-d/60 || mid > d+d/60) {
			t.Errorf("bucketMid(bucketOf(%d)) = %d", d, mid)
		}
	}
}
