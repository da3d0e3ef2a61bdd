// Package bufpool hands out byte buffers from size-classed pools, so that a
// connection holds a buffer only while a frame is in flight and buffers of
// very different sizes never displace each other.
package bufpool

import (
	"math/bits"
	"sync"
)

const (
	minShift = 9  // smallest class: 512 B
	maxShift = 26 // largest pooled class: 64 MiB
)

var pools [maxShift - minShift + 1]sync.Pool

// class returns the index of the smallest class holding n bytes.
func class(n int) int {
	if n <= 1<<minShift {
		return 0
	}
	return bits.Len(uint(n-1)) - minShift
}

// Get returns a buffer of length n whose capacity is n rounded up to a power
// of two (at least 512). Buffers over 64 MiB are allocated, not pooled.
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
