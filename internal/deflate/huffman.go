package deflate

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// bitWriter packs bits least significant first, as DEFLATE (RFC 1951
// section 3.1.1) wants them, appending whole bytes to out.
type bitWriter struct {
	out   []byte
	acc   uint64
	nbits uint
}

// write appends the low n bits of v; n is at most 32.
func (w *bitWriter) write(v uint32, n uint) {
	w.acc |= uint64(v) << w.nbits
	w.nbits += n
	if w.nbits >= 32 {
		w.out = binary.LittleEndian.AppendUint32(w.out, uint32(w.acc))
		w.acc >>= 32
		w.nbits -= 32
	}
}

// align pads with zero bits to a byte boundary and moves every pending
// byte to out.
func (w *bitWriter) align() {
	for w.nbits > 0 {
		w.out = append(w.out, byte(w.acc))
		w.acc >>= 8
		w.nbits -= min(w.nbits, 8)
	}
	w.acc = 0
}

// The symbol sets of RFC 1951 section 3.2.5.
const (
	numLitLen  = 286 // literals 0-255, end of block 256, lengths 257-285
	numDist    = 30
	numCodeLen = 19
	endOfBlock = 256
)

var (
	lengthBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = [numDist]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = [numDist]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// codeLenOrder is the order in which a dynamic block's header gives
	// the lengths of the code-length code.
	codeLenOrder = [numCodeLen]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
)

// Lookup tables from a match's length and distance to their codes.
var (
	lengthCode [256]uint8 // by length-3
	distCodeLo [256]uint8 // by distance-1, below 256
	distCodeHi [256]uint8 // by (distance-1)>>7, from 256
)

// The fixed Huffman code of RFC 1951 section 3.2.6.
var fixedLit, fixedDist huffCode

func init() {
	for c, base := range lengthBase[:28] {
		for l := int(base); l < int(base)+1<<lengthExtra[c]; l++ {
			lengthCode[l-3] = uint8(c)
		}
	}
	lengthCode[258-3] = 28
	for c, base := range distBase {
		for d := int(base) - 1; d < int(base)-1+1<<distExtra[c]; d++ {
			if d < 256 {
				distCodeLo[d] = uint8(c)
			} else {
				distCodeHi[d>>7] = uint8(c)
			}
		}
	}
	fixedLit.lens = fixedLitLens()
	fixedLit.listUsed(288)
	fixedLit.assign()
	for i := range 30 {
		fixedDist.lens[i] = 5
	}
	fixedDist.listUsed(30)
	fixedDist.assign()
}

// fixedLitLens returns the code lengths of the fixed literal/length code
// (RFC 1951 section 3.2.6).
func fixedLitLens() (lens [288]uint8) {
	for i := range lens {
		switch {
		case i < 144:
			lens[i] = 8
		case i < 256:
			lens[i] = 9
		case i < 280:
			lens[i] = 7
		default:
			lens[i] = 8
		}
	}
	return lens
}

func distCode(d uint32) uint8 {
	if d < 256 {
		return distCodeLo[d]
	}
	return distCodeHi[d>>7]
}

// huffCode is a prefix code: a length per symbol and the code, bit
// reversed so that the bit writer sends its first bit first.
type huffCode struct {
	lens  [288]uint8
	codes [288]uint16
	// syms lists the symbols that have a code, in order: a block's
	// code leaves most of the 286 symbols out, and the passes over a
	// code (assigning it, costing a block with it) go over these alone.
	syms  [288]uint16
	nsyms int
}

// used returns the symbols that have a code, in order.
func (h *huffCode) used() []uint16 { return h.syms[:h.nsyms] }

// listUsed sets syms from the lengths of the first n symbols.
func (h *huffCode) listUsed(n int) {
	h.nsyms = 0
	for i, l := range h.lens[:n] {
		if l != 0 {
			h.syms[h.nsyms] = uint16(i)
			h.nsyms++
		}
	}
}

// listFrequent sets syms to the symbols whose frequency is above zero.
func (h *huffCode) listFrequent(f []uint32) {
	h.nsyms = 0
	for i, v := range f {
		if v > 0 {
			h.syms[h.nsyms] = uint16(i)
			h.nsyms++
		}
	}
}

// assign gives the used symbols the canonical codes of their lengths
// (RFC 1951 section 3.2.2). Unused symbols keep whatever code they had:
// nothing writes them.
func (h *huffCode) assign() {
	var count [16]uint16
	for _, s := range h.used() {
		count[h.lens[s]&15]++
	}
	var next [16]uint16
	code := uint16(0)
	for b := 1; b < 16; b++ {
		code = (code + count[b-1]) << 1
		next[b] = code
	}
	for _, s := range h.used() {
		l := h.lens[s] & 15
		h.codes[s] = bits.Reverse16(next[l]) >> (16 - l)
		next[l]++
	}
}

// huffScratch is the working memory of building a code: a leaf or inner
// node per entry.
type huffScratch struct {
	leaves [numLitLen]uint32 // frequency<<9 | symbol, to sort as integers
	parent [2 * numLitLen]uint16
	weight [2 * numLitLen]uint32
	depth  [2 * numLitLen]uint8
	freq   [numLitLen]uint32
}

// build sets h's lengths for the first n symbols from their frequencies:
// a Huffman code whose codes are at most maxBits long. Every code it
// builds is complete, even when fewer than two symbols occur (a dummy
// symbol is added), since some inflaters refuse incomplete codes.
func (h *huffCode) build(freq []uint32, maxBits uint8, s *huffScratch) {
	n := len(freq)
	clear(h.lens[:n])
	f := s.freq[:n]
	copy(f, freq)
	h.listFrequent(f)
	if h.nsyms < 2 {
		for i := 0; h.nsyms < 2; i++ {
			if f[i] == 0 {
				f[i] = 1
				h.nsyms++
			}
		}
		h.listFrequent(f)
	}
	for {
		if h.tryBuild(f, maxBits, s) {
			h.assign()
			return
		}
		// Too deep: flatten the frequencies and try again. Halving
		// converges, since equal weights give a depth of log2(n).
		for i, v := range f {
			if v > 0 {
				f[i] = v>>1 | 1
			}
		}
	}
}

// sortLeaves sets ls to the leaves of syms (in increasing order) as
// frequency<<9 | symbol integers, sorted. Most of a block's symbols are
// rare, so it counting-sorts them by frequency below leafBuckets, which
// keeps symbols of one frequency in their order, and sorts only the few
// more frequent ones by comparison: a comparison sort of the whole was a
// third of building a 1 KiB block's code, in mispredicted branches.
func sortLeaves(ls []uint32, syms []uint16, f []uint32) {
	var count [leafBuckets + 1]uint16
	for _, sym := range syms {
		count[min(f[sym], leafBuckets)]++
	}
	at := uint16(0)
	for i, c := range count {
		count[i] = at
		at += c
	}
	for _, sym := range syms {
		v := f[sym]
		k := min(v, leafBuckets)
		ls[count[k]] = v<<9 | uint32(sym)
		count[k]++
	}
	slices.Sort(ls[count[leafBuckets-1]:])
}

// leafBuckets is how many frequencies sortLeaves counts, from 0.
const leafBuckets = 64

// tryBuild runs Huffman's algorithm with two queues (the sorted leaves,
// and inner nodes, which are made in order of weight) and reports whether
// every length fits in maxBits.
func (h *huffCode) tryBuild(f []uint32, maxBits uint8, s *huffScratch) bool {
	// A frequency is at most a block's tokens plus one (chunkSize+1,
	// below 2^23), so it and a symbol (below 2^9) share a uint32.
	ls := s.leaves[:h.nsyms]
	sortLeaves(ls, h.used(), f)
	nl := len(ls)
	for i, l := range ls {
		s.weight[i] = l >> 9
	}
	// Nodes 0..nl-1 are the leaves, nl.. the inner nodes in the order
	// they are made.
	li, ii, next := 0, nl, nl
	for next < 2*nl-1 {
		// The two lightest of the next leaf and the next inner node.
		var pair [2]int
		for k := range pair {
			if li < nl && (ii >= next || s.weight[li] <= s.weight[ii]) {
				pair[k] = li
				li++
			} else {
				pair[k] = ii
				ii++
			}
		}
		s.weight[next] = s.weight[pair[0]] + s.weight[pair[1]]
		s.parent[pair[0]], s.parent[pair[1]] = uint16(next), uint16(next)
		next++
	}
	root := next - 1
	s.depth[root] = 0
	for i := root - 1; i >= 0; i-- {
		d := s.depth[s.parent[i]] + 1
		if i < nl && d > maxBits {
			return false
		}
		s.depth[i] = d
	}
	for i, l := range ls {
		h.lens[l&0x1ff] = s.depth[i]
	}
	return true
}
