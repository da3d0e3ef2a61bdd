package bufpool

import "testing"

func TestGetPut(t *testing.T) {
	for _, n := range []int{0, 1, 511, 512, 513, 4096, 5000, MaxPooled} {
		b := Get(n)
		if len(*b) != n || cap(*b) < n || cap(*b) < 512 || cap(*b)&(cap(*b)-1) != 0 {
			t.Fatalf("Get(%d): len %d cap %d", n, len(*b), cap(*b))
		}
		Put(b)
	}
	for _, n := range []int{MaxPooled + 1, 3 << 20, 64 << 20} {
		big := Get(n)
		if len(*big) != n || cap(*big) != n {
			t.Fatalf("Get(%d) past the pooled sizes: len %d cap %d, want exactly %d", n, len(*big), cap(*big), n)
		}
		Put(big) // left to the garbage collector; must not panic
	}
	Put(nil)
	odd := make([]byte, 1000)
	Put(&odd) // not a power of two: ignored
}

func TestGetPutAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector; this runs without -race")
	}
	Put(Get(4096))
	if n := testing.AllocsPerRun(100, func() { Put(Get(4096)) }); n != 0 {
		t.Fatalf("%v allocs per Get/Put", n)
	}
}
