// Package bufpool hands out byte buffers from size-classed pools, so that a
// connection holds a buffer only while a frame is in flight and buffers of
// very different sizes never displace each other.
//
// Only buffers of up to MaxPooled bytes are pooled. A larger one is
// allocated at exactly the size asked for and, once put back, left to the
// garbage collector: a burst of large messages must not leave its memory
// parked in pools, and above a megabyte the copy into a buffer costs more
// than allocating it. Pooled buffers themselves go back to the runtime
// within two garbage collections of their last use (sync.Pool's rule).
package bufpool

import (
	"math/bits"
	"sync"
)

const (
	minShift = 9  // smallest class: 512 B
	maxShift = 20 // largest pooled class: 1 MiB
)

// MaxPooled is the largest buffer kept in a pool.
const MaxPooled = 1 << maxShift

var pools [maxShift - minShift + 1]sync.Pool

// class returns the index of the smallest class holding n bytes.
func class(n int) int {
	if n <= 1<<minShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minShift
}

// Get returns a buffer of length n whose capacity is n rounded up to a power
// of two (at least 512). Buffers over MaxPooled are allocated with a
// capacity of exactly n, and not pooled.
func Get(n int) *[]byte {
	c := class(n)
	if c < len(pools) {
		if v := pools[c].Get(); v != nil {
			b := v.(*[]byte)
			*b = (*b)[:n]
			return b
		}
	}
	return alloc(n, c)
}

// alloc makes a buffer for Get when its pool has none. It is out of line
// to keep Get's stack frame small: Get is called from deep in connection
// goroutines whose stacks should stay at 2 KiB.
//
//go:noinline
func alloc(n, c int) *[]byte {
	size := n
	if c < len(pools) {
		size = 1 << (c + minShift)
	}
	b := make([]byte, n, size)
	return &b
}

// Put returns a buffer obtained from Get. Putting nil does nothing.
func Put(b *[]byte) {
	if b == nil {
		return
	}
	c := cap(*b)
	if c < 1<<minShift || c&(c-1) != 0 {
		return // not one of ours
	}
	i := bits.Len(uint(c)) - 1 - minShift
	if i >= len(pools) {
		return
	}
	*b = (*b)[:0]
	pools[i].Put(b)
}
