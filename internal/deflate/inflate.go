package deflate

import (
	"encoding/binary"
	"io"

	"github.com/fastws/fastws/internal/bufpool"
)

// inflater decodes one DEFLATE stream (RFC 1951) that is whole in memory:
// a message that arrived in one piece, with messageEnd after it. Having
// every input byte at hand lets it load the bit buffer eight bytes at a
// time and decode a block without a call per symbol, and its tables are
// built for the small blocks WebSocket messages are made of: a 512-entry
// root for literals and lengths, 256 for distances. It is several times
// faster than klauspost/compress's streaming inflater on a 1 KiB message,
// most of whose time went to building tables (bench/results).
//
// Its output goes into a window buffer, behind the history with context
// takeover, in the history's own buffer while it has room (window.lend);
// Read hands the output out. The window grows from a guess (the message's
// compressed size times five) up to inflateWindowMax, after which it
// slides, keeping the 32 KiB a distance can reach: a bomb costs the
// caller's read limit, never memory here.
type inflater struct {
	in   []byte // the whole stream
	pos  int    // the next byte of in to load; past len(in) while reading zero padding
	bits uint64
	nb   uint // valid bits in bits

	buf *[]byte // win's storage, from bufpool
	win []byte  // history, then output
	rd  int     // win[rd:] is output not yet read

	stage  int
	final  bool // the current block is the last
	stored int  // bytes left of the current stored block
	lit    *[litTableSize]uint32
	dist   *[distTableSize]uint32
	err    error

	dynLit  [litTableSize]uint32
	dynDist [distTableSize]uint32
	clen    [1 << clenRoot]uint32
	lens    [286 + 30]uint8
}

const (
	stageHeader = iota
	stageStored
	stageHuffman
	stageDone
)

const (
	maxDistance = 32 << 10
	// maxStep is the most output one step of the decoding loop writes:
	// a literal, and the match decoded after it in the same step.
	maxStep          = 1 + maxMatch
	inflateWindowMax = 64 << 10
	inflateWindowMin = 4 << 10
)

// reset starts decoding in into a pooled window, behind a copy of dict,
// the history distances may reach into.
func (f *inflater) reset(in, dict []byte) {
	f.buf = bufpool.Get(min(max(len(dict)+5*len(in), inflateWindowMin), max(inflateWindowMax, len(dict)+maxStep)))
	f.begin(in, append((*f.buf)[:0], dict...))
}

// resetLent starts decoding in into hist's spare capacity, hist being the
// history distances may reach into: a window's loan (window.lend).
// Output that outgrows it moves to a pooled window; lent tells.
func (f *inflater) resetLent(in, hist []byte) {
	f.buf = nil
	f.begin(in, hist)
}

func (f *inflater) begin(in, win []byte) {
	f.win = win
	f.rd = len(f.win)
	f.in, f.pos, f.bits, f.nb = in, 0, 0, 0
	f.stage, f.final, f.stored, f.err = stageHeader, false, 0, nil
}

// lent reports whether the output is still in the lent buffer.
func (f *inflater) lent() bool {
	return f.buf == nil
}

// release gives the window back to its pool.
func (f *inflater) release() {
	if f.buf != nil {
		bufpool.Put(f.buf)
	}
	f.buf, f.win, f.in = nil, nil, nil
}

// Read reads output. io.EOF follows the end of the final block, if no more
// than messageEnd is left after it; any fault of the stream is ErrCorrupt.
func (f *inflater) Read(p []byte) (int, error) {
	for f.rd == len(f.win) {
		if f.err != nil {
			return 0, f.err
		}
		if f.stage == stageDone {
			return 0, io.EOF
		}
		f.makeRoom()
		f.err = f.decode()
		if f.err == nil && f.overran() {
			f.err = ErrCorrupt
		}
		if f.err == nil && f.stage == stageDone && len(f.in)-f.consumed() > len(messageEnd) {
			// Peer bytes after the sender's final block.
			f.err = ErrCorrupt
		}
		if f.err != nil {
			f.rd = len(f.win) // output of a corrupt stream is never handed out
		}
	}
	n := copy(p, f.win[f.rd:])
	f.rd += n
	return n, nil
}

// consumed is how many bytes of in the decoder has used, counting a byte
// it used part of.
func (f *inflater) consumed() int {
	return (f.pos*8 - int(f.nb) + 7) / 8
}

// overran reports whether decoding used bits past the end of in: the
// zero padding the bit buffer loads there stands for a truncated stream.
func (f *inflater) overran() bool {
	return f.pos*8-int(f.nb) > len(f.in)*8
}

// makeRoom leaves at least maxStep bytes free after the output, all of
// which has been read: it grows the window, or slides it once it is at
// its largest.
func (f *inflater) makeRoom() {
	if cap(f.win)-len(f.win) >= maxStep {
		return
	}
	if f.lent() || cap(f.win) < inflateWindowMax {
		b := bufpool.Get(min(max(2*cap(f.win), len(f.win)+inflateWindowMin), max(inflateWindowMax, len(f.win)+maxStep)))
		f.win = append((*b)[:0], f.win...)
		if f.buf != nil {
			bufpool.Put(f.buf)
		}
		f.buf = b
		return
	}
	n := copy(f.win, f.win[len(f.win)-maxDistance:])
	f.win = f.win[:n]
	f.rd = n
}

// refill loads the bit buffer to at least 56 bits. Past the end of in it
// loads zeros, so that a decoder never checks for the end per symbol; it
// reports false once it has loaded more than eight of those, which only a
// truncated stream gets to.
func (f *inflater) refill() bool {
	if f.pos+8 <= len(f.in) {
		f.bits |= binary.LittleEndian.Uint64(f.in[f.pos:]) << f.nb
		f.pos += int(63-f.nb) >> 3
		f.nb |= 56
		return true
	}
	for f.nb <= 56 {
		if f.pos < len(f.in) {
			f.bits |= uint64(f.in[f.pos]) << f.nb
		}
		f.pos++
		f.nb += 8
	}
	return f.pos <= len(f.in)+8
}

// refillAt is refill for a decoding loop that keeps the bit reader in
// locals: it takes them and gives them back refilled.
func (f *inflater) refillAt(bits uint64, nb uint, pos int) (uint64, uint, int, error) {
	f.bits, f.nb, f.pos = bits, nb, pos
	if !f.refill() {
		return f.bits, f.nb, f.pos, ErrCorrupt
	}
	return f.bits, f.nb, f.pos, nil
}

func (f *inflater) take(n uint) uint32 {
	v := uint32(f.bits & (1<<n - 1))
	f.bits >>= n
	f.nb -= n
	return v
}

// decode inflates into the window until the stream ends, the window has
// less than maxStep bytes free, or the stream proves corrupt.
func (f *inflater) decode() error {
	for {
		switch f.stage {
		case stageDone:
			return nil
		case stageHeader:
			if err := f.header(); err != nil {
				return err
			}
		case stageStored:
			k := min(f.stored, cap(f.win)-len(f.win))
			if k == 0 {
				return nil
			}
			if f.pos+k > len(f.in) {
				return ErrCorrupt
			}
			f.win = append(f.win, f.in[f.pos:f.pos+k]...)
			f.pos += k
			f.stored -= k
			if f.stored == 0 {
				f.endBlock()
			}
		case stageHuffman:
			full, err := f.huffman()
			if err != nil || full {
				return err
			}
		}
	}
}

func (f *inflater) endBlock() {
	if f.final {
		f.stage = stageDone
	} else {
		f.stage = stageHeader
	}
}

// header reads a block's header, and a dynamic block's code lengths.
func (f *inflater) header() error {
	if !f.refill() {
		return ErrCorrupt
	}
	f.final = f.take(1) == 1
	switch f.take(2) {
	case 0:
		f.take(f.nb & 7) // stored blocks start on a byte
		n := f.take(16)
		if f.take(16) != ^n&0xffff {
			return ErrCorrupt
		}
		// Give back the whole bytes the bit buffer holds: the block's
		// bytes are copied from in.
		f.pos -= int(f.nb / 8)
		f.bits, f.nb = 0, 0
		if f.pos > len(f.in) {
			return ErrCorrupt
		}
		f.stored = int(n)
		if n == 0 {
			f.endBlock()
		} else {
			f.stage = stageStored
		}
	case 1:
		f.lit, f.dist = &fixedLitDecode, &fixedDistDecode
		f.stage = stageHuffman
	case 2:
		if err := f.dynamic(); err != nil {
			return err
		}
		f.lit, f.dist = &f.dynLit, &f.dynDist
		f.stage = stageHuffman
	default:
		return ErrCorrupt
	}
	return nil
}

// codeOrder is the order of the code-length code's lengths in a dynamic
// block's header.
var codeOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamic reads a dynamic block's code lengths and builds its tables.
func (f *inflater) dynamic() error {
	if f.nb < 14 && !f.refill() {
		return ErrCorrupt
	}
	nlit := int(f.take(5)) + 257
	ndist := int(f.take(5)) + 1
	nclen := int(f.take(4)) + 4
	if nlit > 286 || ndist > 30 {
		return ErrCorrupt
	}
	var clens [19]uint8
	for i := range nclen {
		if f.nb < 3 && !f.refill() {
			return ErrCorrupt
		}
		clens[codeOrder[i]] = uint8(f.take(3))
	}
	if !buildTable(f.clen[:], clenRoot, clens[:], clenSymbols[:]) {
		return ErrCorrupt
	}
	lens := f.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		if f.nb < 7+7 && !f.refill() {
			return ErrCorrupt
		}
		e := f.clen[f.bits&(1<<clenRoot-1)]
		if e>>4&15 != entryLiteral {
			return ErrCorrupt
		}
		f.take(uint(e & 15))
		sym := e >> 16
		var rep int
		var v uint8
		switch sym {
		default:
			lens[i] = uint8(sym)
			i++
			continue
		case 16:
			if i == 0 {
				return ErrCorrupt
			}
			rep, v = 3+int(f.take(2)), lens[i-1]
		case 17:
			rep = 3 + int(f.take(3))
		case 18:
			rep = 11 + int(f.take(7))
		}
		if i+rep > len(lens) {
			return ErrCorrupt
		}
		for range rep {
			lens[i] = v
			i++
		}
	}
	if lens[256] == 0 {
		return ErrCorrupt // a block that cannot end
	}
	if !buildTable(f.dynLit[:], litRoot, lens[:nlit], litSymbols[:]) ||
		!buildTable(f.dynDist[:], distRoot, lens[nlit:], distSymbols[:]) {
		return ErrCorrupt
	}
	return nil
}

// huffman decodes the current block's symbols until its end or until the
// window is full (full true). It keeps the bit reader in locals: this is
// the loop that inflating spends its time in.
func (f *inflater) huffman() (full bool, err error) {
	bits, nb, pos, in := f.bits, f.nb, f.pos, f.in
	out := len(f.win)
	w := f.win[:cap(f.win)]
	lit, dist := f.lit, f.dist
	for {
		if len(w)-out < maxStep {
			full = true
			break
		}
		if nb < 48 {
			if pos+8 <= len(in) {
				bits |= binary.LittleEndian.Uint64(in[pos:]) << nb
				pos += int(63-nb) >> 3
				nb |= 56
			} else if bits, nb, pos, err = f.refillAt(bits, nb, pos); err != nil {
				break
			}
		}
		e := litEntry(lit, bits)
		bits >>= e & 15
		nb -= uint(e & 15)
		kind := e >> 4 & 15
		if kind == entryLiteral {
			// Literals come in runs, and the refill left bits enough
			// for a second symbol's code: decode it at once.
			w[out] = byte(e >> 16)
			out++
			e = litEntry(lit, bits)
			bits >>= e & 15
			nb -= uint(e & 15)
			kind = e >> 4 & 15
			if kind == entryLiteral {
				w[out] = byte(e >> 16)
				out++
				continue
			}
			if nb < 33 {
				// A match's extra bits and distance need up to 33.
				if bits, nb, pos, err = f.refillAt(bits, nb, pos); err != nil {
					break
				}
			}
		}
		if kind != entryBase {
			if kind == entryEnd {
				f.endBlock()
			} else {
				err = ErrCorrupt
			}
			break
		}
		extra := uint(e >> 8 & 15)
		n := int(e>>16) + int(bits&(1<<extra-1))
		bits >>= extra
		nb -= extra

		e = distEntry(dist, bits)
		if e>>4&15 != entryBase {
			err = ErrCorrupt
			break
		}
		bits >>= e & 15
		nb -= uint(e & 15)
		extra = uint(e >> 8 & 15)
		d := int(e>>16) + int(bits&(1<<extra-1))
		bits >>= extra
		nb -= extra
		if d > out {
			err = ErrCorrupt
			break
		}
		switch {
		case d >= 16 && n <= 16:
			// Most matches in text are short and far enough back not to
			// overlap: two word copies, writing up to 16 bytes past the
			// match into the window's free room (at least maxStep), which
			// later output overwrites. A call to memmove cost more.
			copy16(w, out, d)
		case d >= 16:
			// Longer ones 16 bytes at a time, the last 16 ending where
			// the match does: each copy's source is at least 16 back,
			// so it is output already written. Cheaper than memmove
			// for the 17-258 bytes a match can have.
			end := out + n - 16
			for p := out; p < end; p += 16 {
				copy16(w, p, d)
			}
			copy16(w, end, d)
		default:
			copyMatch(w, out, d, n)
		}
		out += n
	}
	f.bits, f.nb, f.pos = bits, nb, pos
	f.win = w[:out]
	return full, err
}

// litEntry looks up the literal/length entry the next bits start with,
// through its subtable if it has one. The masks keep every index provably
// in the array, so the lookups carry no bounds check.
func litEntry(t *[litTableSize]uint32, bits uint64) uint32 {
	e := t[bits&(1<<litRoot-1)]
	if e>>4&15 == entryLink {
		e = t[(e>>16+uint32(bits>>litRoot)&(1<<(e>>8&15)-1))&(litTableSize-1)]
	}
	return e
}

// distEntry is litEntry for distances.
func distEntry(t *[distTableSize]uint32, bits uint64) uint32 {
	e := t[bits&(1<<distRoot-1)]
	if e>>4&15 == entryLink {
		e = t[(e>>16+uint32(bits>>distRoot)&(1<<(e>>8&15)-1))&(distTableSize-1)]
	}
	return e
}

// copy16 copies the 16 bytes d back from w[at:] to w[at:], d at least 16.
func copy16(w []byte, at, d int) {
	src, dst := w[at-d:at-d+16], w[at:at+16]
	binary.LittleEndian.PutUint64(dst, binary.LittleEndian.Uint64(src))
	binary.LittleEndian.PutUint64(dst[8:], binary.LittleEndian.Uint64(src[8:]))
}

// copyMatch writes, at w[at:], n bytes copied from d bytes back. An
// overlapping match repeats its last d bytes: each copy doubles what the
// next can take.
func copyMatch(w []byte, at, d, n int) {
	start := at - d
	end := at + n
	if d >= n {
		copy(w[at:end], w[start:at])
		return
	}
	for at < end {
		at += copy(w[at:end], w[start:at])
	}
}
