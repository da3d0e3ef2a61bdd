package wsframe

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// hiBits has the top bit of every byte of a word set; a word of ASCII
// shares none of them.
const hiBits = 0x8080808080808080

// asciiPrefix returns the length of the longest prefix of p that is ASCII.
// It is the portable scan, for machines without a vector one. Eight words
// a step, twice what unicode/utf8.Valid reads, keep the loop's compare and
// branch from setting the pace on long text; the end is one word that
// overlaps bytes already read, where utf8.Valid goes byte by byte, which
// is most of the cost for a short message.
func asciiPrefix(p []byte) int {
	// A capacity equal to the length, and the strict comparisons in the
	// loops, spare the compiler the fix-ups that keep a slice from
	// pointing past the end of its array.
	p = p[:len(p):len(p)]
	q := p
	for len(q) > 64 && (word(q)|word(q[8:])|word(q[16:])|word(q[24:])|
		word(q[32:])|word(q[40:])|word(q[48:])|word(q[56:]))&hiBits == 0 {
		q = q[64:]
	}
	for len(q) > 32 && (word(q)|word(q[8:])|word(q[16:])|word(q[24:]))&hiBits == 0 {
		q = q[32:]
	}
	for len(q) > 8 {
		if w := word(q) & hiBits; w != 0 {
			return len(p) - len(q) + bits.TrailingZeros64(w)/8
		}
		q = q[8:]
	}
	if len(p) >= 8 {
		// The bytes before q are ASCII, so the first high bit of the last
		// word is where the prefix ends.
		if w := word(p[len(p)-8:]) & hiBits; w != 0 {
			return len(p) - 8 + bits.TrailingZeros64(w)/8
		}
		return len(p)
	}
	for i, c := range q {
		if c >= 0x80 {
			return i
		}
	}
	return len(p)
}

// word loads 8 bytes, the first in the low bits, so that the index of the
// lowest high bit is the index of its byte.
func word(p []byte) uint64 { return binary.LittleEndian.Uint64(p) }

// validGo reports whether p is valid UTF-8 ending on a sequence boundary,
// in portable Go: an ASCII prefix needs no decoding, and the standard
// library's validator takes the rest from the first byte that does.
func validGo(p []byte) bool {
	n := asciiPrefix(p)
	return n == len(p) || utf8.Valid(p[n:])
}
