package deflate

import (
	"encoding/binary"
	"math/bits"
	"sync"
)

// The encoder is fastws's own DEFLATE compressor for level 1 with context
// takeover, written so that a connection keeps little between messages
// and has nothing expensive to prime. A flate.Writer from
// klauspost/compress is about 480 KiB, so a connection cannot keep one
// for long, and a borrowed one has to be primed from the history: an
// encoding of the whole 32 KiB window, twenty times the cost of a 1 KiB
// message.
//
// It is a greedy LZ77 matcher over a one-entry-per-bucket hash table of
// stream positions (the design of Snappy and of klauspost's level 1),
// trying the last match's distance first, and feeding blocks written
// with whichever of a dynamic Huffman code, the fixed code or stored
// bytes is shortest. A busy connection keeps its history and its 16 KiB
// table; an idle one gives the table back to a pool (release) and keeps
// only the history, from which the next message's table is rebuilt by
// hashing every position of the window, a few times the cost of a 1 KiB
// message.

const (
	hashBits = 13
	// chunkSize is the most input one block covers. The history buffer
	// holds the window plus one chunk, so that it slides (one copy of
	// the window) at most once per chunk.
	chunkSize = 16 << 10
	minMatch  = 4
	maxMatch  = 258
)

// encoder is the state one direction of a connection keeps: the history
// (the last 2^bits bytes of the stream, for context takeover, followed
// by the input not yet encoded) and the hash table of positions in it.
type encoder struct {
	hist    []byte
	pending int    // hist[pending:] is input not yet encoded
	limit   int    // the window: the farthest a match may refer back
	base    uint32 // the stream position of hist[0], mod 2^32
	warmSum uint32 // what warm read, kept so that the reads stay
	rep     int    // the last match's distance, tried first
	// table holds, per hash of five bytes, the stream position (mod
	// 2^16) where they were last seen. Positions are stream positions,
	// not indexes into hist, so sliding hist leaves the table as it is;
	// an entry that has aliased (older than 2^16) just proposes some
	// other position in the window, whose bytes are checked like any.
	table *hashTable // nil while idle (release)
	bw    bitWriter
}

type hashTable [1 << hashBits]uint16

var tablePool = sync.Pool{New: func() any { return new(hashTable) }}

// ensureTable borrows a table if the encoder has none, and indexes the
// window of history in it.
func (e *encoder) ensureTable() {
	if e.table != nil {
		return
	}
	t := tablePool.Get().(*hashTable)
	end := e.pending
	for i := max(0, end-e.limit); i+8 <= end; i++ { // hash5 loads eight
		t[hash5(load64(e.hist, i))] = uint16(e.base + uint32(i))
	}
	e.table = t
}

// release gives the table back; the history stays.
func (e *encoder) release() {
	if e.table != nil {
		tablePool.Put(e.table)
		e.table = nil
	}
}

func newEncoder(bits int) *encoder {
	return &encoder{limit: 1 << bits}
}

// write takes p as the next input, encoding whole chunks as they fill;
// the output goes to e.bw.
func (e *encoder) write(p []byte) {
	for len(p) > 0 {
		if len(e.hist)-e.pending == chunkSize {
			e.encodePending()
		}
		room := chunkSize - (len(e.hist) - e.pending)
		n := min(room, len(p))
		e.makeRoom(n)
		if len(e.hist)+n > cap(e.hist) {
			// Grow by doubling, as append would, but never past the
			// window plus a chunk: that is the memory the docs promise.
			grown := make([]byte, len(e.hist), min(max(2*cap(e.hist), len(e.hist)+n, 512), e.limit+chunkSize))
			copy(grown, e.hist)
			e.hist = grown
		}
		e.hist = append(e.hist, p[:n]...)
		p = p[n:]
	}
}

// flush encodes the pending input and ends with a sync flush (an empty
// stored block), after which the output is whole bytes ending in
// 00 00 ff ff.
func (e *encoder) flush() {
	e.encodePending()
	e.bw.write(0, 3) // not final, stored
	e.bw.align()
	e.bw.out = append(e.bw.out, 0, 0, 0xff, 0xff)
}

// makeRoom slides the history so that n more bytes fit in the buffer
// without it growing past the window plus a chunk.
func (e *encoder) makeRoom(n int) {
	if len(e.hist)+n <= e.limit+chunkSize {
		return
	}
	keep := min(e.pending, e.limit) + len(e.hist) - e.pending
	shift := len(e.hist) - keep
	e.hist = e.hist[:copy(e.hist, e.hist[shift:])]
	e.pending -= shift
	e.base += uint32(shift)
}

// blockBuf is the memory of encoding one block, borrowed from a pool for
// the time of the block only.
type blockBuf struct {
	tokens   []uint32 // a literal byte, or matchFlag | (length-3)<<15 | (distance-1)
	litFreq  [numLitLen]uint32
	distFreq [numDist]uint32
	lit      huffCode
	dist     huffCode
	cl       huffCode
	clFreq   [numCodeLen]uint32
	clSyms   []uint8 // the code-length sequence: symbol, and extra bits
	scratch  huffScratch
}

const matchFlag = 1 << 31

var blockPool = sync.Pool{New: func() any {
	return &blockBuf{tokens: make([]uint32, 0, chunkSize), clSyms: make([]uint8, 0, 2*(numLitLen+numDist))}
}}

// matchLen returns how many bytes at the start of a and b are equal; b is
// at least as long as a.
func matchLen(a, b []byte) int {
	n := 0
	for ; len(a)-n >= 8; n += 8 {
		if x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:]); x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
	}
	for n < len(a) && a[n] == b[n] {
		n++
	}
	return n
}

// hash5 hashes the low five bytes of u. Matches need only four, but a
// table keyed by four bytes keeps, for JSON's most common ones (`":"`,
// `","`, `{"na`), only their latest place, which a longer match rarely
// follows; five bytes of key find longer matches. On the compressed
// echo's JSON (BenchmarkCompressOrders) the output went from 0.278 to
// 0.268 of the input at 1 KiB and from 0.229 to 0.217 at 16 KiB, for the
// same time (ten interleaved runs, p = 0.58), below the 0.278 and 0.221
// that klauspost's level 1, with a table four times as large, sent in
// the bench when it was fastws's encoder (results/deflate-2026-11-22.md).
func hash5(u uint64) uint32 { return uint32(((u << 24) * 889523592379) >> (64 - hashBits)) }

func load32(b []byte, i int) uint32 { return binary.LittleEndian.Uint32(b[i:]) }

func load64(b []byte, i int) uint64 { return binary.LittleEndian.Uint64(b[i:]) }

// encodePending turns the pending input into one block.
func (e *encoder) encodePending() {
	if b, raw := e.nextBlock(); b != nil {
		e.writeBlock(b, raw)
		blockPool.Put(b)
	}
}

// nextBlock tokenizes the pending input into a block from the pool and
// returns it with the input it covers, or nil if nothing is pending.
func (e *encoder) nextBlock() (b *blockBuf, raw []byte) {
	start, end := e.pending, len(e.hist)
	if start == end {
		return nil, nil
	}
	e.ensureTable()
	e.warm(start)
	b = blockPool.Get().(*blockBuf)
	b.tokens = b.tokens[:0]
	clear(b.litFreq[:])
	clear(b.distFreq[:])
	e.tokenize(b, start, end)
	e.pending = end
	b.litFreq[endOfBlock]++
	return b, e.hist[start:end]
}

// warm reads the hash table and the window before start in order (see
// warm.go). In a paired run of the compressed echo (100 × 1 KiB, context
// takeover) this took server CPU per message from 28.3 to 26.5 µs
// (0.94×), and at 16 KiB from 111.8 to 109.9. BenchmarkContext: 0.91×
// with 100 connections in turn; with one, whose state stays in cache,
// 0.4 µs more per message.
func (e *encoder) warm(start int) {
	e.warmSum += warmTable(e.table) + warmBytes(e.hist[max(0, start-e.limit):start])
}

// tokenize finds matches for hist[start:end] in hist[:end], within the
// window, and records literals and matches in b. Each step loads eight
// bytes and looks up the positions s and s+1 at once.
func (e *encoder) tokenize(b *blockBuf, start, end int) {
	src := e.hist[:end]
	table := e.table
	s, emitted := start, start
	for s+8 <= end {
		cv := load64(src, s)
		h0, h1 := hash5(cv), hash5(cv>>8)
		pos := uint16(e.base + uint32(s))
		c0 := s - int(pos-table[h0])
		c1 := s + 1 - int(pos+1-table[h1])
		table[h0], table[h1] = pos, pos+1
		var cand int
		switch {
		case e.rep > 0 && s-e.rep >= 0 && load32(src, s-e.rep) == uint32(cv):
			// The last distance again: records of one shape repeat at
			// one stride, and a repeated message at its length.
			cand = s - e.rep
		case c0 >= 0 && c0 < s && s-c0 <= e.limit && load32(src, c0) == uint32(cv):
			cand = c0
		case c1 >= 0 && c1 <= s && s+1-c1 <= e.limit && load32(src, c1) == uint32(cv>>8):
			s, cand = s+1, c1
		default:
			// Skip ahead faster the longer nothing has matched, so that
			// incompressible input costs little.
			s += 2 + (s-emitted)>>5
			continue
		}
		// Extend backwards over literals not yet emitted, then forwards.
		for s > emitted && cand > 0 && src[s-1] == src[cand-1] {
			s--
			cand--
		}
		n := minMatch + matchLen(src[s+minMatch:min(s+maxMatch, end)], src[cand+minMatch:])
		b.literals(src[emitted:s])
		e.rep = s - cand
		dist := uint32(s - cand - 1)
		b.tokens = append(b.tokens, matchFlag|uint32(n-3)<<15|dist)
		b.litFreq[257+int(lengthCode[n-3])]++
		b.distFreq[distCode(dist)]++
		s += n
		emitted = s
		// Index the two positions before the match's end too, for the
		// next repetition.
		if s+6 <= end {
			x := load64(src, s-2)
			p := uint16(e.base + uint32(s))
			table[hash5(x)] = p - 2
			table[hash5(x>>8)] = p - 1
		}
	}
	b.literals(src[emitted:end])
}

// literals records each byte of lit as a literal token.
func (b *blockBuf) literals(lit []byte) {
	n := len(b.tokens)
	b.tokens = b.tokens[:n+len(lit)]
	toks := b.tokens[n:]
	for i, c := range lit {
		toks[i] = uint32(c)
		b.litFreq[c]++
	}
}

// writeBlock writes b's tokens as the shortest of a dynamic block, a
// fixed one and stored bytes (raw).
func (e *encoder) writeBlock(b *blockBuf, raw []byte) {
	nlit, ndist := numLitLen, numDist
	for nlit > 257 && b.litFreq[nlit-1] == 0 {
		nlit--
	}
	// At least two distance codes, so that a block with one distance, or
	// none, still has a complete code.
	for ndist > 2 && b.distFreq[ndist-1] == 0 {
		ndist--
	}
	b.lit.build(b.litFreq[:nlit], 15, &b.scratch)
	b.dist.build(b.distFreq[:ndist], 15, &b.scratch)
	// What both Huffman forms spend on extra bits is the same.
	extra := 0
	for c, f := range b.litFreq[257:nlit] {
		extra += int(f) * int(lengthExtra[c])
	}
	for c, f := range b.distFreq[:ndist] {
		extra += int(f) * int(distExtra[c])
	}
	dynSize := 3 + 5 + 5 + 4 + e.codeLengths(b, nlit, ndist) + extra
	fixSize := 3 + extra
	for _, c := range b.lit.used() {
		f := int(b.litFreq[c])
		dynSize += f * int(b.lit.lens[c])
		fixSize += f * int(fixedLit.lens[c])
	}
	for _, c := range b.dist.used() {
		f := int(b.distFreq[c])
		dynSize += f * int(b.dist.lens[c])
		fixSize += f * int(fixedDist.lens[c])
	}
	// A stored block: its header, padding to a byte (at most 7 bits),
	// and the lengths.
	storedSize := 3 + 7 + 32 + 8*len(raw)
	switch {
	case storedSize < dynSize && storedSize < fixSize:
		e.bw.write(0, 3)
		e.bw.align()
		e.bw.out = binary.LittleEndian.AppendUint16(e.bw.out, uint16(len(raw)))
		e.bw.out = binary.LittleEndian.AppendUint16(e.bw.out, ^uint16(len(raw)))
		e.bw.out = append(e.bw.out, raw...)
	case fixSize <= dynSize:
		e.bw.write(1<<1, 3) // not final, fixed
		e.writeTokens(b.tokens, &fixedLit, &fixedDist)
	default:
		e.bw.write(2<<1, 3) // not final, dynamic
		e.writeDynamicHeader(b, nlit, ndist)
		e.writeTokens(b.tokens, &b.lit, &b.dist)
	}
}

// codeLengths run-length encodes the code lengths of b's codes into
// b.clSyms (RFC 1951 section 3.2.7), builds the code-length code, and
// returns the bits the lengths take in the header, with the code-length
// code's own. It goes over the symbols each code uses, not all 316
// lengths: the unused ones between two used ones are one run of zeros.
// (With a byte-by-byte scan for runs this was 40% of building a 1 KiB
// block's codes.) Runs continue from the literal/length code's lengths into the
// distance code's, as the header allows.
func (e *encoder) codeLengths(b *blockBuf, nlit, ndist int) int {
	r := lengthRuns{syms: b.clSyms[:0]}
	r.addCode(&b.lit, nlit)
	r.addCode(&b.dist, ndist)
	r.flush()
	syms := r.syms
	b.clSyms = syms
	clear(b.clFreq[:])
	size := 0
	for i := 0; i < len(syms); i += 2 {
		b.clFreq[syms[i]]++
		size += int(clExtraBits(syms[i]))
	}
	b.cl.build(b.clFreq[:], 7, &b.scratch)
	for s, f := range b.clFreq {
		size += int(f) * int(b.cl.lens[s])
	}
	return size + 3*numCodeLenCodes(&b.cl)
}

// lengthRuns gathers a sequence of code lengths into runs of one value
// and writes each run as code-length symbols, each followed by its extra
// bits' value.
type lengthRuns struct {
	syms []uint8
	v    uint8 // the current run's length
	n    int   // and how long it is
}

// addCode appends the lengths of h's first n symbols.
func (r *lengthRuns) addCode(h *huffCode, n int) {
	pos := 0
	for _, s := range h.used() {
		r.add(0, int(s)-pos)
		r.add(h.lens[s], 1)
		pos = int(s) + 1
	}
	r.add(0, n-pos)
}

// add appends n lengths of v.
func (r *lengthRuns) add(v uint8, n int) {
	if n == 0 {
		return
	}
	if v != r.v {
		r.flush()
		r.v = v
	}
	r.n += n
}

// flush writes the current run.
func (r *lengthRuns) flush() {
	v, run, syms := r.v, r.n, r.syms
	r.n = 0
	if run == 0 {
		return
	}
	if v == 0 {
		for run >= 11 {
			n := min(run, 138)
			syms = append(syms, 18, uint8(n-11))
			run -= n
		}
		if run >= 3 {
			syms = append(syms, 17, uint8(run-3))
			run = 0
		}
	} else {
		syms = append(syms, v, 0)
		run--
		for run >= 3 {
			n := min(run, 6)
			syms = append(syms, 16, uint8(n-3))
			run -= n
		}
	}
	for ; run > 0; run-- {
		syms = append(syms, v, 0)
	}
	r.syms = syms
}

// clExtra is how many extra bits follow each code-length symbol: a
// table, since a switch's branches on a header's mixed symbols mispredict.
var clExtra = [numCodeLen]uint8{16: 2, 17: 3, 18: 7}

func clExtraBits(sym uint8) uint { return uint(clExtra[sym%numCodeLen]) }

// numCodeLenCodes is how many code-length code lengths the header gives:
// up to the last nonzero one in codeLenOrder, at least 4.
func numCodeLenCodes(cl *huffCode) int {
	n := numCodeLen
	for n > 4 && cl.lens[codeLenOrder[n-1]] == 0 {
		n--
	}
	return n
}

func (e *encoder) writeDynamicHeader(b *blockBuf, nlit, ndist int) {
	ncl := numCodeLenCodes(&b.cl)
	e.bw.write(uint32(nlit-257), 5)
	e.bw.write(uint32(ndist-1), 5)
	e.bw.write(uint32(ncl-4), 4)
	for _, s := range codeLenOrder[:ncl] {
		e.bw.write(uint32(b.cl.lens[s]), 3)
	}
	for i := 0; i < len(b.clSyms); i += 2 {
		s := b.clSyms[i]
		e.bw.write(uint32(b.cl.codes[s]), uint(b.cl.lens[s]))
		if n := clExtraBits(s); n > 0 {
			e.bw.write(uint32(b.clSyms[i+1]), n)
		}
	}
}

func (e *encoder) writeTokens(tokens []uint32, lit, dist *huffCode) {
	// The bit writer's state is kept in locals for the loop, and whole
	// 48-bit groups leave at once: each token adds at most 48 bits (a
	// length's 20 and a distance's 28).
	out, acc, nbits := e.bw.out, e.bw.acc, e.bw.nbits
	for _, t := range tokens {
		if t&matchFlag == 0 {
			acc |= uint64(lit.codes[t]) << nbits
			nbits += uint(lit.lens[t])
		} else {
			l := t >> 15 & 0xff
			lc := lengthCode[l]
			ln := uint(lit.lens[257+int(lc)])
			acc |= uint64(uint32(lit.codes[257+int(lc)])|(l+3-uint32(lengthBase[lc]))<<ln) << nbits
			nbits += ln + uint(lengthExtra[lc])
			if nbits >= 32 {
				out = binary.LittleEndian.AppendUint32(out, uint32(acc))
				acc >>= 32
				nbits -= 32
			}
			d := t & 0x7fff
			dc := distCode(d)
			dn := uint(dist.lens[dc])
			acc |= uint64(uint32(dist.codes[dc])|(d+1-uint32(distBase[dc]))<<dn) << nbits
			nbits += dn + uint(distExtra[dc])
		}
		if nbits >= 32 {
			out = binary.LittleEndian.AppendUint32(out, uint32(acc))
			acc >>= 32
			nbits -= 32
		}
	}
	e.bw.out, e.bw.acc, e.bw.nbits = out, acc, nbits
	e.bw.write(uint32(lit.codes[endOfBlock]), uint(lit.lens[endOfBlock]))
}
