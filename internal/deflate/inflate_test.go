package deflate

import (
	"bytes"
	stdflate "compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/fastws/fastws/internal/loadgen"
	"github.com/klauspost/compress/flate"
)

// syncFlushed compresses msg with w (primed with dict) and returns the
// stream with the sync flush's empty stored block cut off, as
// permessage-deflate sends it.
func syncFlushed(t testing.TB, level int, msg, dict []byte, std bool) []byte {
	t.Helper()
	var b bytes.Buffer
	var w interface {
		io.Writer
		Flush() error
	}
	var err error
	if std {
		w, err = stdflate.NewWriterDict(&b, level, dict)
	} else {
		w, err = flate.NewWriterDict(&b, level, dict)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(msg); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	out := b.Bytes()
	if !bytes.HasSuffix(out, messageEnd[:4]) {
		t.Fatalf("no sync flush tail: % x", out[max(0, len(out)-8):])
	}
	return out[:len(out)-4]
}

// inflateWhole runs the inflater alone over one message.
func inflateWhole(in, dict []byte) ([]byte, error) {
	var f inflater
	f.resetLent(append(bytes.Clone(in), messageEnd...), dict)
	defer f.release()
	return io.ReadAll(&f)
}

// Whatever two independent encoders make of a message — stored, fixed,
// dynamic and Huffman-only blocks, long matches, overlapping matches,
// distances into a dictionary, output far past the window — inflates back
// to it.
func TestInflaterRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 100<<10)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	inputs := [][]byte{
		nil, {'a'}, []byte("abcabcabcabcabcabcabc"),
		bytes.Repeat([]byte{0}, 300<<10),
		jsonish(r, 20), jsonish(r, 1<<10), jsonish(r, 16<<10), jsonish(r, 200<<10),
		random[:1], random[:1000], random,
		append(jsonish(r, 40<<10), random[:30<<10]...),
	}
	dicts := [][]byte{nil, jsonish(r, 100), jsonish(r, 32<<10)}
	levels := []int{flate.HuffmanOnly, flate.NoCompression, flate.BestSpeed, 2, 5, flate.BestCompression}
	for _, std := range []bool{false, true} {
		for _, level := range levels {
			for di, dict := range dicts {
				for ii, msg := range inputs {
					if std && level == flate.HuffmanOnly && len(dict) > 0 {
						continue // the standard library's Huffman-only writer takes no dictionary
					}
					comp := syncFlushed(t, level, msg, dict, std)
					got, err := inflateWhole(comp, dict)
					if err != nil || !bytes.Equal(got, msg) {
						t.Fatalf("std %v, level %d, dict %d, input %d (%d bytes): got %d bytes, %v", std, level, di, ii, len(msg), len(got), err)
					}
				}
			}
		}
	}
}

// Broken streams fail with ErrCorrupt and hand out nothing of the block
// that broke.
func TestInflaterCorrupt(t *testing.T) {
	msg := jsonish(rand.New(rand.NewPCG(5, 6)), 2000)
	good := syncFlushed(t, 5, msg, nil, false)
	var final bytes.Buffer
	w, _ := flate.NewWriter(&final, 1)
	_, _ = w.Write([]byte("hello"))
	_ = w.Close()
	cases := map[string][]byte{
		"reserved block type":   {0x07},
		"stored length":         {0x00, 0x05, 0x00, 0x00, 0x00},
		"stored past the end":   {0x01, 0x00, 0x01, 0xff, 0xfe, 'a'},
		"distance past history": syncFlushed(t, 1, msg[:500], msg[:1000], false),
		"too many lengths":      {0xfd, 0xff}, // dynamic block, HLIT 31: 288 codes
		"garbage after final":   append(final.Bytes(), "garbage!!!"...),
		"truncated":             good[:len(good)/2],
		"incomplete code":       {0x04, 0x00, 0xfe, 0xff}, // dynamic block, four code-length codes of 7 bits
	}
	for name, in := range cases {
		got, err := inflateWhole(in, nil)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %q, %v; want ErrCorrupt", name, got, err)
		}
	}
}

// The inflater gives up its window when it is done with a message, and
// holds no more than inflateWindowMax while it works, however large the
// message: a 1 MiB run of zeros comes out in window-sized pieces.
func TestInflaterWindowBound(t *testing.T) {
	msg := make([]byte, 1<<20)
	comp := syncFlushed(t, 1, msg, nil, false)
	var f inflater
	f.reset(append(comp, messageEnd...), nil)
	p := make([]byte, 512)
	total := 0
	for {
		n, err := f.Read(p)
		total += n
		if cap(f.win) > inflateWindowMax {
			t.Fatalf("window grew to %d bytes", cap(f.win))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	f.release()
	if total != len(msg) || f.buf != nil {
		t.Fatalf("inflated %d bytes of %d; window kept: %v", total, len(msg), f.buf != nil)
	}
}

// readAtMost reads d's message, stopping at limit bytes.
func readAtMost(d *Decompressor, limit int) ([]byte, error) {
	var out []byte
	p := make([]byte, 1000)
	for len(out) < limit {
		n, err := d.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
	d.End()
	return out, errLimit
}

var errLimit = errors.New("limit")

// The inflater and klauspost/compress's (which inflates the messages that
// arrive in parts) agree on every input: the same output for a good
// stream, failure for a bad one, and the same context for the next
// message.
func FuzzInflater(f *testing.F) {
	r := rand.New(rand.NewPCG(7, 8))
	j := jsonish(r, 3000)
	for _, level := range []int{flate.HuffmanOnly, flate.NoCompression, 1, 6} {
		f.Add(syncFlushed(f, level, j[:1500], nil, false), syncFlushed(f, level, j[1500:], j[:1500], false), true, uint8(15))
	}
	f.Add(syncFlushed(f, 6, j, nil, true), []byte{0x02, 0x00}, false, uint8(9))
	f.Add([]byte{0x63, 0x00, 0x42, 0x00}, []byte{0x07}, true, uint8(8))
	const limit = 4 << 20
	f.Fuzz(func(t *testing.T, m1, m2 []byte, takeover bool, bits uint8) {
		wb := 8 + int(bits%8)
		whole := NewDecompressor(wb, takeover)
		split := NewDecompressor(wb, takeover)
		for i, m := range [][]byte{m1, m2} {
			whole.Begin(&parts{p: [][]byte{m}})
			got, gerr := readAtMost(whole, limit)
			// Parts of up to 3 bytes and an empty last one: never one
			// whole part, so klauspost's inflater reads it.
			split.Begin(&parts{p: append(cut(m, 1+i+len(m)%3), nil)})
			want, werr := readAtMost(split, limit)
			switch {
			case (gerr == nil) != (werr == nil), (gerr == errLimit) != (werr == errLimit):
				t.Fatalf("message %d: inflater %d bytes, %v; klauspost %d bytes, %v", i, len(got), gerr, len(want), werr)
			case gerr == nil && !bytes.Equal(got, want):
				t.Fatalf("message %d: outputs differ (%d and %d bytes)", i, len(got), len(want))
			case gerr == errLimit && !bytes.Equal(got[:limit], want[:limit]):
				t.Fatalf("message %d: outputs differ within the limit", i)
			case gerr != nil:
				return
			}
		}
	})
}

// BenchmarkInflate compares the two inflaters on one message as the
// compressed echo sends it: JSON, compressed at level 6 without context.
func BenchmarkInflate(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10} {
		msg := jsonish(rand.New(rand.NewPCG(9, 10)), size)
		comp := syncFlushed(b, 6, msg, nil, false)
		for _, whole := range []bool{true, false} {
			name := map[bool]string{true: "whole", false: "klauspost"}[whole]
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				d := NewDecompressor(15, false)
				p := make([]byte, size+1)
				b.SetBytes(int64(size))
				for b.Loop() {
					src := &parts{p: [][]byte{comp}}
					if !whole {
						src.p = append(src.p, nil)
					}
					d.Begin(src)
					n, err := io.ReadFull(readerFunc(d.Read), p[:size])
					if err != nil || n != size {
						b.Fatal(err)
					}
					d.End()
				}
			})
		}
	}
}

// BenchmarkInflateOrders inflates the compressed echo's own messages:
// the load generator's JSON documents (internal/loadgen), compressed at
// level 6 without context, sixteen of them in turn.
func BenchmarkInflateOrders(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10} {
		var comps [][]byte
		for i := range 16 {
			comps = append(comps, syncFlushed(b, 6, loadgen.JSONMessage(size, i), nil, false))
		}
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			d := NewDecompressor(15, false)
			p := make([]byte, size+1)
			b.SetBytes(int64(size))
			for i := 0; b.Loop(); i++ {
				d.Begin(&parts{p: [][]byte{comps[i%len(comps)]}})
				n, err := io.ReadFull(readerFunc(d.Read), p[:size])
				if err != nil || n != size {
					b.Fatal(err)
				}
				d.End()
			}
		})
	}
}

// With context takeover the history stays within its documented bound,
// the window plus a quarter (40 KiB at 15 bits), while messages of every
// size are inflated in its buffer or, when they outgrow it, beside it;
// and it always holds the last 2^bits bytes of output, which the next
// message's distances reach into.
func TestInflaterHistoryBound(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, bits := range []int{9, 12, 15} {
		c := NewCompressor(1, bits, true)
		d := NewDecompressor(bits, true)
		var stream []byte
		for i := range 200 {
			msg := jsonish(r, []int{10, 300, 1000, 5000, 20000, 70000}[r.IntN(6)])
			if i%17 == 0 {
				msg = make([]byte, 1<<17) // output far past the loan
			}
			// Whole, or in parts (klauspost's inflater), in turn.
			got := inflate(t, d, c.Compress(nil, msg), []int{1 << 20, 100}[i%2])
			if !bytes.Equal(got, msg) {
				t.Fatalf("bits %d, message %d: inflated %d bytes, want %d", bits, i, len(got), len(msg))
			}
			stream = append(stream, msg...)
			limit := 1 << bits
			if want := stream[max(0, len(stream)-limit):]; !bytes.Equal(d.hist.bytes(), want) {
				t.Fatalf("bits %d, message %d: history is not the last %d bytes", bits, i, limit)
			}
			if cap(d.hist.buf) > limit+max(limit/4, 1<<10) {
				t.Fatalf("bits %d: history buffer of %d bytes", bits, cap(d.hist.buf))
			}
			stream = stream[max(0, len(stream)-limit):]
		}
	}
}

// BenchmarkInflateTakeover inflates 1 KiB messages on a connection whose
// peer keeps context (as browsers do), with 32 KiB of history behind
// each: what the history costs per message.
func BenchmarkInflateTakeover(b *testing.B) {
	r := rand.New(rand.NewPCG(13, 14))
	msg := jsonish(r, 1<<10)
	comp := syncFlushed(b, 6, msg, nil, false)
	d := NewDecompressor(15, true)
	p := make([]byte, len(msg)+1)
	inflateOnce := func() {
		d.Begin(&parts{p: [][]byte{comp}})
		n, err := io.ReadFull(readerFunc(d.Read), p[:len(msg)])
		if err != nil || n != len(msg) {
			b.Fatal(err)
		}
		if _, err := d.Read(p); err != io.EOF {
			b.Fatal(err)
		}
	}
	for range 40 {
		inflateOnce()
	}
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		inflateOnce()
	}
}

// One step of the decoding loop writes a literal and then a match: up to
// 259 bytes. A window with exactly 258 bytes free before such a step
// (a literal following a match, then a match of the longest length) was
// overrun by one byte: FuzzHandleMessagesInflated found it as a panic.
// Every output length around the window's first sizes puts the literal
// there once.
func TestInflaterLiteralThenLongestMatch(t *testing.T) {
	for _, size := range []int{inflateWindowMin, 2 * inflateWindowMin} {
		for k := size - 300; k < size-200; k++ {
			msg := append(make([]byte, k), bytes.Repeat([]byte{'y'}, 1+maxMatch)...)
			in := syncFlushed(t, 9, msg, nil, true)
			got, err := inflateWhole(in, nil)
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%d zeros, then 259 bytes: %d bytes out, %v", k, len(got), err)
			}
			var f inflater
			f.reset(append(bytes.Clone(in), messageEnd...), nil)
			got, err = io.ReadAll(&f)
			f.release()
			if err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("%d zeros, then 259 bytes, in a pooled window: %d bytes out, %v", k, len(got), err)
			}
		}
	}
}

// Every code of a complete code, of any shape, leads through the table
// to its symbol: codes short and long, a root filled by doubling and
// subtables behind it, as the Huffman builder of the encoder makes them
// from random frequencies (skewed, so that some codes run to 15 bits).
func TestBuildTableDecodesEveryCode(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var h huffCode
	var scratch huffScratch
	var table [litTableSize]uint32
	long := 0 // codes found through a subtable
	for round := range 2000 {
		n := []int{2, 3, 19, 30, 286}[round%5]
		freq := make([]uint32, n)
		for i := range freq {
			if r.IntN(3) > 0 {
				freq[i] = 1 << r.IntN(18) >> r.IntN(18)
			}
		}
		h.build(freq, 15, &scratch)
		if !buildTable(table[:], litRoot, h.lens[:n], litSymbols[:n]) {
			t.Fatalf("round %d: a complete code refused", round)
		}
		for _, s := range h.used() {
			l := uint(h.lens[s])
			// The code, bit-reversed (first bit lowest), followed by
			// whatever bits come next in the stream.
			code := uint32(h.codes[s]) | r.Uint32()<<l
			e := table[code&(1<<litRoot-1)]
			if e>>4&15 == entryLink {
				sub := code >> litRoot & (1<<(e>>8&0xff) - 1)
				e = table[e>>16+sub]
				long++
			}
			if e&15 != uint32(l) || e&^15 != litSymbols[s] {
				t.Fatalf("round %d: symbol %d (%d bits) decodes to entry %#x", round, s, l, e)
			}
		}
	}
	if long == 0 {
		t.Fatal("no code was longer than the root: the test wants subtables")
	}
}

// BenchmarkBuildTable builds the decoding tables of a dynamic block's
// codes as a 1 KiB JSON message gives them: what every compressed message
// costs before its first symbol.
func BenchmarkBuildTable(b *testing.B) {
	var freq [numLitLen]uint32
	for _, c := range jsonish(rand.New(rand.NewPCG(3, 4)), 1<<10) {
		freq[c]++
	}
	freq[endOfBlock] = 1
	for s := 257; s < 270; s++ {
		freq[s] = uint32(1 + s%5)
	}
	var h, hd huffCode
	var scratch huffScratch
	h.build(freq[:], 15, &scratch)
	distFreq := []uint32{0, 1, 2, 3, 1, 4, 6, 8, 9, 12, 7, 5, 3, 2, 1, 1}
	hd.build(distFreq, 15, &scratch)
	var lit [litTableSize]uint32
	var dist [distTableSize]uint32
	for b.Loop() {
		if !buildTable(lit[:], litRoot, h.lens[:numLitLen], litSymbols[:]) ||
			!buildTable(dist[:], distRoot, hd.lens[:len(distFreq)], distSymbols[:]) {
			b.Fatal("code refused")
		}
	}
}

// Every match length at distances on both sides of the copy loop's
// cases (overlapping, one word back, two words back, far) inflates to
// what a byte-by-byte copy makes, and the bytes a word copy writes past
// a match's end never survive: the output after the match is checked too.
func TestInflaterEveryMatchShape(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, d := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 4000, maxDistance} {
		for n := minMatch - 1; n <= maxMatch; n++ {
			want := make([]byte, d, d+n+3)
			for i := range want {
				want[i] = byte(r.Uint32())
			}
			for range n {
				want = append(want, want[len(want)-d])
			}
			want = append(want, 'x', 'y', 'z')
			e := newEncoder(15)
			e.bw.write(1<<1, 3) // not final, fixed
			tokens := make([]uint32, 0, d+4)
			for _, c := range want[:d] {
				tokens = append(tokens, uint32(c))
			}
			tokens = append(tokens, matchFlag|uint32(n-3)<<15|uint32(d-1), 'x', 'y', 'z')
			e.writeTokens(tokens, &fixedLit, &fixedDist)
			e.bw.write(0, 3)
			e.bw.align()
			got, err := inflateWhole(e.bw.out, nil)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("a match of %d bytes from %d back: %v, output differs: %t", n, d, err, !bytes.Equal(got, want))
			}
		}
	}
}
