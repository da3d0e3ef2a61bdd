// Package flatecheck decodes raw DEFLATE streams (RFC 1951) just far enough
// to check their back-references against a window size. It is an oracle
// for tests and for the conformance suite: general inflaters accept any
// distance up to 32 KiB, so they cannot tell whether a compressor kept to
// a smaller window it agreed to.
package flatecheck

import (
	"errors"
	"fmt"
)

// CheckDistances decodes a raw DEFLATE stream far enough to see every
// back-reference, and returns an error if one reaches further back than
// window bytes or the stream is malformed. A stream cut at a sync flush
// (as permessage-deflate messages are) is fine.
func CheckDistances(data []byte, window int) error {
	br := &bitReader{data: data}
	for {
		final, err := br.bits(1)
		if err != nil {
			return nil // the stream was cut at a sync flush: fine
		}
		typ, err := br.bits(2)
		if err != nil {
			return err
		}
		switch typ {
		case 0:
			br.align()
			n, err := br.bits(16)
			if err != nil {
				return nil // the empty stored block of a sync flush, its tail removed
			}
			if _, err := br.bits(16); err != nil {
				return err
			}
			br.pos += int(n) * 8
		case 1, 2:
			lit, dist := fixedCodes()
			if typ == 2 {
				if lit, dist, err = dynamicCodes(br); err != nil {
					return err
				}
			}
			if err := checkBlock(br, lit, dist, window); err != nil {
				return err
			}
		default:
			return errors.New("reserved block type")
		}
		if final == 1 {
			return nil
		}
	}
}

type bitReader struct {
	data []byte
	pos  int // in bits
}

func (b *bitReader) bits(n int) (uint32, error) {
	var v uint32
	for i := range n {
		if b.pos/8 >= len(b.data) {
			return 0, errors.New("unexpected end of data")
		}
		bit := uint32(b.data[b.pos/8]>>(b.pos%8)) & 1
		v |= bit << i
		b.pos++
	}
	return v, nil
}

func (b *bitReader) align() { b.pos = (b.pos + 7) &^ 7 }

// huffman maps (length, code) to symbols.
type huffman map[[2]uint32]int

func buildHuffman(lengths []int) huffman {
	var count [16]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	var next [16]uint32
	code := uint32(0)
	for l := 1; l < 16; l++ {
		code = (code + uint32(count[l-1])) << 1
		next[l] = code
	}
	h := huffman{}
	for sym, l := range lengths {
		if l > 0 {
			h[[2]uint32{uint32(l), next[l]}] = sym
			next[l]++
		}
	}
	return h
}

func (h huffman) decode(b *bitReader) (int, error) {
	code := uint32(0)
	for l := uint32(1); l < 16; l++ {
		bit, err := b.bits(1)
		if err != nil {
			return 0, err
		}
		code = code<<1 | bit
		if sym, ok := h[[2]uint32{l, code}]; ok {
			return sym, nil
		}
	}
	return 0, errors.New("bad Huffman code")
}

func fixedCodes() (huffman, huffman) {
	lit := make([]int, 288)
	for i := range lit {
		switch {
		case i < 144:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		case i < 280:
			lit[i] = 7
		default:
			lit[i] = 8
		}
	}
	dist := make([]int, 30)
	for i := range dist {
		dist[i] = 5
	}
	return buildHuffman(lit), buildHuffman(dist)
}

func dynamicCodes(b *bitReader) (huffman, huffman, error) {
	hlit, _ := b.bits(5)
	hdist, _ := b.bits(5)
	hclen, err := b.bits(4)
	if err != nil {
		return nil, nil, err
	}
	order := []int{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}
	clens := make([]int, 19)
	for i := 0; i < int(hclen)+4; i++ {
		v, err := b.bits(3)
		if err != nil {
			return nil, nil, err
		}
		clens[order[i]] = int(v)
	}
	ch := buildHuffman(clens)
	n := int(hlit) + 257 + int(hdist) + 1
	lens := make([]int, 0, n)
	for len(lens) < n {
		sym, err := ch.decode(b)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case sym < 16:
			lens = append(lens, sym)
		case sym == 16:
			r, _ := b.bits(2)
			for range r + 3 {
				lens = append(lens, lens[len(lens)-1])
			}
		case sym == 17:
			r, _ := b.bits(3)
			lens = append(lens, make([]int, r+3)...)
		default:
			r, _ := b.bits(7)
			lens = append(lens, make([]int, r+11)...)
		}
	}
	return buildHuffman(lens[:hlit+257]), buildHuffman(lens[hlit+257:]), nil
}

var (
	lengthBase  = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lengthExtra = []int{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase    = []int{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtra   = []int{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

func checkBlock(b *bitReader, lit, dist huffman, window int) error {
	for {
		sym, err := lit.decode(b)
		if err != nil {
			return err
		}
		switch {
		case sym < 256:
		case sym == 256:
			return nil
		default:
			i := sym - 257
			if i >= len(lengthBase) {
				return errors.New("bad length code")
			}
			if _, err := b.bits(lengthExtra[i]); err != nil {
				return err
			}
			ds, err := dist.decode(b)
			if err != nil || ds >= len(distBase) {
				return errors.New("bad distance code")
			}
			extra, err := b.bits(distExtra[ds])
			if err != nil {
				return err
			}
			if d := distBase[ds] + int(extra); d > window {
				return fmt.Errorf("back-reference of %d bytes, beyond the %d-byte window", d, window)
			}
		}
	}
}
