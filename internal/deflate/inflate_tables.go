package deflate

import "math/bits"

// A decoding table maps the next root bits of the input (least significant
// bit first, as DEFLATE packs them) to an entry. Codes longer than root
// bits go through a link to a subtable indexed by the bits after the root.
//
// An entry is a uint32:
//
//	bits 0-3   the code's length: how many bits the entry consumes
//	bits 4-7   its kind (entryLiteral, ...)
//	bits 8-15  extra bits to read after the code (a subtable's index bits for a link)
//	bits 16-31 the value: a literal byte, a length or distance base, a subtable's offset
const (
	entryLiteral = iota // a literal byte, or a code-length symbol
	entryBase           // a length or distance base, followed by extra bits
	entryEnd            // the end of the block
	entryLink           // a subtable
	entryInvalid        // a code no valid stream uses
)

func entry(kind, extra, value uint32) uint32 {
	return kind<<4 | extra<<8 | value<<16
}

const (
	litRoot  = 9 // root bits of the literal/length table
	distRoot = 8 // root bits of the distance table
	clenRoot = 7 // code-length codes are at most 7 bits: no subtables

	// Table sizes hold the root and every subtable a complete code can
	// need (zlib's "enough" bounds are 852 and 402 for these roots); build
	// refuses, rather than overruns, anything larger.
	litTableSize  = 1024
	distTableSize = 512
)

// Symbol templates: what each symbol of an alphabet decodes to, without
// its code length.
var (
	litSymbols  [288]uint32
	distSymbols [32]uint32
	clenSymbols [19]uint32

	fixedLitDecode  [litTableSize]uint32
	fixedDistDecode [distTableSize]uint32
)

func init() {
	for i := range 256 {
		litSymbols[i] = entry(entryLiteral, 0, uint32(i))
	}
	litSymbols[256] = entry(entryEnd, 0, 0)
	base, extra := uint32(3), uint32(0)
	for s := 257; s < 285; s++ {
		// Lengths 3-10 have no extra bits, then every four symbols
		// double the step (RFC 1951, 3.2.5).
		if s >= 265 && (s-265)%4 == 0 {
			extra++
		}
		litSymbols[s] = entry(entryBase, extra, base)
		base += 1 << extra
	}
	litSymbols[285] = entry(entryBase, 0, 258)
	litSymbols[286] = entry(entryInvalid, 0, 0)
	litSymbols[287] = entry(entryInvalid, 0, 0)

	base, extra = 1, 0
	for s := range 30 {
		if s >= 4 && s%2 == 0 {
			extra++
		}
		distSymbols[s] = entry(entryBase, extra, base)
		base += 1 << extra
	}
	distSymbols[30] = entry(entryInvalid, 0, 0)
	distSymbols[31] = entry(entryInvalid, 0, 0)

	for i := range clenSymbols {
		clenSymbols[i] = entry(entryLiteral, 0, uint32(i))
	}

	lens := fixedLitLens()
	if !buildTable(fixedLitDecode[:], litRoot, lens[:], litSymbols[:]) {
		panic("deflate: fixed literal table")
	}
	for i := range lens[:32] {
		lens[i] = 5
	}
	if !buildTable(fixedDistDecode[:], distRoot, lens[:32], distSymbols[:]) {
		panic("deflate: fixed distance table")
	}
}

// buildTable fills t with the canonical Huffman decoding table for the code
// lengths lens (RFC 1951, 3.2.2), symbol i decoding to symbols[i]. It
// reports false for a code that is over-subscribed or incomplete, except
// that, as zlib and klauspost/compress do, it accepts a single code of one
// bit and a code with no symbols at all (every entry then invalid, so that
// using it fails).
func buildTable(t []uint32, root uint, lens []uint8, symbols []uint32) bool {
	// Four tallies, summed after: consecutive symbols often share a
	// length (a literal code's unused symbols come in runs of zeros),
	// and one tally would make each increment wait for the last.
	var count, t1, t2, t3 [16]uint16
	i := 0
	for ; i+3 < len(lens); i += 4 {
		count[lens[i]&15]++
		t1[lens[i+1]&15]++
		t2[lens[i+2]&15]++
		t3[lens[i+3]&15]++
	}
	for ; i < len(lens); i++ {
		count[lens[i]&15]++
	}
	for l := range count {
		count[l] += t1[l] + t2[l] + t3[l]
	}
	count[0] = 0
	maxLen := uint(15)
	for maxLen > 0 && count[maxLen] == 0 {
		maxLen--
	}
	rootSize := 1 << root
	if maxLen == 0 {
		fillInvalid(t[:rootSize])
		return true
	}
	left := 1
	for l := uint(1); l <= maxLen; l++ {
		left = left<<1 - int(count[l])
		if left < 0 {
			return false
		}
	}
	if left > 0 {
		if maxLen != 1 || count[1] != 1 {
			return false
		}
		fillInvalid(t[:rootSize])
	}

	// Symbols in canonical order: by length, then by value.
	var offs [16]uint16
	for l := 1; l < 16; l++ {
		offs[l] = offs[l-1] + count[l-1]
	}
	var sorted [288]uint16
	for s, l := range lens {
		if l != 0 {
			sorted[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	total := int(offs[15])

	var next [16]uint32 // the next code of each length, most significant bit first
	code := uint32(0)
	for l := 1; l < 16; l++ {
		code = (code + uint32(count[l-1])) << 1
		next[l] = code
	}

	remaining := count // codes of each length not yet placed
	short := 0         // codes of up to root bits, placed by doubling
	if left == 0 {
		short = fillShort(t, root, min(root, maxLen), &count, sorted[:total], symbols)
		for l := 1; l <= int(min(root, maxLen)); l++ {
			next[l] += uint32(count[l])
			remaining[l] = 0
		}
	}

	rootMask := uint32(rootSize - 1)
	free := rootSize // where the next subtable goes
	prefix := ^uint32(0)
	subOff, subBits := 0, uint(0)
	for _, s := range sorted[short:total] {
		l := uint(lens[s])
		c := next[l]
		next[l]++
		rev := uint32(bits.Reverse16(uint16(c))) >> (16 - l)
		e := symbols[s] | uint32(l)
		if l <= root {
			for i := rev; i < uint32(rootSize); i += 1 << l {
				t[i] = e
			}
			remaining[l]--
			continue
		}
		if p := rev & rootMask; p != prefix {
			// A new subtable, sized for the codes that share this
			// prefix (this one included): grow it while the codes left
			// of the lengths it covers would not fill it.
			prefix = p
			subBits = l - root
			room := 1 << subBits
			for subBits+root < maxLen {
				room -= int(remaining[subBits+root])
				if room <= 0 {
					break
				}
				subBits++
				room <<= 1
			}
			subOff = free
			free += 1 << subBits
			if free > len(t) {
				return false
			}
			t[p] = entry(entryLink, uint32(subBits), uint32(subOff)) | uint32(root)
		}
		for i := rev >> root; i < 1<<subBits; i += 1 << (l - root) {
			t[subOff+int(i)] = e
		}
		remaining[l]--
	}
	return true
}

// fillShort places the codes of a complete code that are at most upTo
// (at most root) bits long, the first of sorted, in the root table t,
// and returns how many there were. Each is written once, at its
// bit-reversed code among the 2^l entries of its length l; before the
// codes of the next length, those entries are copied after themselves
// (an l-bit code owns every entry whose low l bits are its code), and
// at the end up to the root's size. The entries a longer code's prefix
// owns hold copies of whatever was there, until its link is written.
// libdeflate builds its tables so too: a strided loop of stores per
// symbol, as before, cost more in its mispredicted exits than the copies.
func fillShort(t []uint32, root, upTo uint, count *[16]uint16, sorted []uint16, symbols []uint32) int {
	n := 0
	code, size := uint32(0), uint32(2) // the next code, bit-reversed; the entries of length l
	for l := uint(1); l <= upTo; l++ {
		if l > 1 {
			copy(t[size:2*size], t[:size])
			size <<= 1
		}
		for range count[l] {
			t[code] = symbols[sorted[n]] | uint32(l)
			n++
			if code == size-1 {
				break // the last code: the code is complete
			}
			// The next code in bit-reversed order: set the highest
			// clear bit and clear those above it.
			bit := uint32(1) << (bits.Len32(code^(size-1)) - 1)
			code = code&(bit-1) | bit
		}
	}
	for size < 1<<root {
		copy(t[size:2*size], t[:size])
		size <<= 1
	}
	return n
}

func fillInvalid(t []uint32) {
	e := entry(entryInvalid, 0, 0)
	for i := range t {
		t[i] = e
	}
}
