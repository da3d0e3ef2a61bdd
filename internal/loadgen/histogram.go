package loadgen

import (
	"math/bits"
	"time"
)

// subBucketBits sets the histogram's precision: each power of two is split
// into 1<<subBucketBits buckets, so a bucket is at most 1/64 (1.6 %) of
// its values wide.
const subBucketBits = 6

const (
	subBuckets = 1 << subBucketBits
	// maxExponent covers durations up to 2^(maxExponent+subBucketBits)
	// ns, about 18 minutes; longer ones land in the last bucket.
	maxExponent = 34
	numBuckets  = (maxExponent + 1) * subBuckets
)

// Histogram counts durations in log-linear buckets of fixed, preallocated
// size, so recording never allocates however many values it sees.
type Histogram struct {
	counts [numBuckets]uint64
	total  uint64
}

func bucketOf(ns uint64) int {
	if ns < subBuckets {
		return int(ns)
	}
	e := bits.Len64(ns) - subBucketBits - 1 // ns>>e is in [64, 128)
	if e >= maxExponent {
		return numBuckets - 1
	}
	return (e+1)*subBuckets + int(ns>>e) - subBuckets
}

// bucketMid is the middle of bucket i's range, the value a quantile
// falling in it is reported as.
func bucketMid(i int) time.Duration {
	if i < subBuckets {
		return time.Duration(i)
	}
	e := i/subBuckets - 1
	low := uint64(i%subBuckets+subBuckets) << e
	return time.Duration(low + (uint64(1)<<e)/2)
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.total++
}

// Count returns the number of durations recorded.
func (h *Histogram) Count() uint64 { return h.total }

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, n := range o.counts {
		h.counts[i] += n
	}
	h.total += o.total
}

// Reset forgets every duration.
func (h *Histogram) Reset() { *h = Histogram{} }

// Quantile returns the duration below which a fraction q of the recorded
// ones fall (q in [0, 1]), or 0 if none was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, n := range h.counts {
		seen += n
		if seen >= rank {
			return bucketMid(i)
		}
	}
	return bucketMid(numBuckets - 1)
}

// Each calls f for every bucket holding durations, shortest first, with
// the value the bucket stands for (its middle) and its count.
func (h *Histogram) Each(f func(d time.Duration, n uint64)) {
	for i, n := range h.counts {
		if n > 0 {
			f(bucketMid(i), n)
		}
	}
}
