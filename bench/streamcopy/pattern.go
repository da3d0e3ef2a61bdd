// Package streamcopy measures io.Copy throughput through byte-stream
// adapters of WebSocket connections (fastws's Stream, coder/websocket's
// NetConn) against raw TCP, all on 127.0.0.1, with both ends in this
// process. See bench/README.md (streambench).
package streamcopy

import (
	"fmt"
	"math/rand/v2"
)

// DefaultPatternSize is the length of the random data the source repeats:
// 4 MiB plus an odd 4093 bytes, so that the period never lines up with a
// copy buffer or a message, and a message delivered twice or in the wrong
// order does not compare equal by accident.
const DefaultPatternSize = 4<<20 + 4093

// Pattern is random data, generated once, that a Source repeats and a Sink
// checks against.
type Pattern []byte

// NewPattern returns size random bytes from a fixed seed.
func NewPattern(size int) (Pattern, error) {
	if size <= 0 {
		return nil, fmt.Errorf("streamcopy: pattern size %d", size)
	}
	r := rand.New(rand.NewPCG(0x5eed, uint64(size)))
	p := make(Pattern, size)
	for i := 0; i+8 <= len(p); i += 8 {
		v := r.Uint64()
		for k := range 8 {
			p[i+k] = byte(v >> (8 * k))
		}
	}
	for i := len(p) &^ 7; i < len(p); i++ {
		p[i] = byte(r.Uint32())
	}
	return p, nil
}

// at returns the pattern's bytes from stream offset off to the end of the
// current period.
func (p Pattern) at(off int64) []byte { return p[off%int64(len(p)):] }
