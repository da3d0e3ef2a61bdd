package wsframe

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// validAVX2 must agree with unicode/utf8.Valid on every input; these tests
// put each suspect sequence at every position relative to the 32-byte
// blocks, the 128-byte steps of the ASCII scan, the overlapping last block
// and the end.

func requireVector(t *testing.T) {
	t.Helper()
	if !utf8AVX2 {
		t.Skip("no vector validator on this machine or build (purego, or a CPU without AVX2); the other paths are tested elsewhere")
	}
}

func checkAgree(t *testing.T, p []byte) {
	t.Helper()
	if len(p) < 64 {
		// Shorter input would make validAVX2 read before p.
		t.Fatalf("validAVX2 needs 64 bytes, the test gave it %d", len(p))
	}
	if got, want := validAVX2(p), utf8.Valid(p); got != want {
		t.Fatalf("validAVX2(% x) = %v, utf8.Valid = %v", p, got, want)
	}
}

// suspects are the bytes at the edges of every range the UTF-8 grammar
// distinguishes.
var suspects = []byte{
	'a', 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
	0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xF0, 0xF3, 0xF4, 0xF5, 0xF8, 0xFF,
}

func TestVectorUTF8AllPairs(t *testing.T) {
	requireVector(t)
	buf := bytes.Repeat([]byte{'x'}, 100)
	for _, n := range []int{64, 65, 96, 100} {
		p := buf[:n]
		// Every position around a block edge and the end of the input.
		for _, off := range []int{0, 1, 30, 31, 32, 61, 62, n - 34, n - 33, n - 32, n - 3, n - 2} {
			for a := 0; a < 256; a++ {
				for b := 0; b < 256; b++ {
					p[off], p[off+1] = byte(a), byte(b)
					checkAgree(t, p)
				}
			}
			p[off], p[off+1] = 'x', 'x'
		}
	}
}

func TestVectorUTF8SuspectQuads(t *testing.T) {
	requireVector(t)
	buf := bytes.Repeat([]byte{'x'}, 97)
	// Offsets straddle the first block boundary, the second, and the end
	// of the input (which is not a multiple of 32, so the last block
	// overlaps the one before it).
	for _, off := range []int{0, 30, 62, 93} {
		for _, a := range suspects {
			for _, b := range suspects {
				for _, c := range suspects {
					for _, d := range suspects {
						buf[off], buf[off+1], buf[off+2], buf[off+3] = a, b, c, d
						checkAgree(t, buf)
						if off+4 >= 64 {
							checkAgree(t, buf[:off+4]) // ending right after it
						}
					}
				}
			}
		}
		buf[off], buf[off+1], buf[off+2], buf[off+3] = 'x', 'x', 'x', 'x'
	}
}

func TestVectorUTF8Random(t *testing.T) {
	requireVector(t)
	rng := rand.New(rand.NewPCG(1, 2))
	runes := []rune{'a', 'é', 'ж', '€', '世', '😀', 0x10FFFF, 0xFFFD, 0x7FF, 0x800, 0xFFFF, 0x10000}
	for range 20000 {
		var p []byte
		n := 64 + rng.IntN(300)
		for len(p) < n {
			p = utf8.AppendRune(p, runes[rng.IntN(len(runes))])
		}
		checkAgree(t, p)
		// Damage it: a random byte, a truncation, or both.
		q := append([]byte(nil), p...)
		q[rng.IntN(len(q))] = byte(rng.IntN(256))
		checkAgree(t, q)
		if cut := 64 + rng.IntN(len(q)-63); cut <= len(q) {
			checkAgree(t, q[:cut])
			checkAgree(t, p[:cut])
		}
	}
}

// sparseSamples are what ASCII text may hold now and then: characters of
// every length, and the ways of getting one wrong.
var sparseSamples = []string{
	"é", "世", "😀", "\U0010FFFF",
	"\x80", "\xc0\xaf", "\xc2", "\xe2\x82", "\xed\xa0\x80", "\xf0\x9f\x98", "\xf4\x90\x80\x80", "\xff",
}

// In ASCII text, the vector validator switches between its ASCII scan and
// its full check. One character at every offset tests the way in, from
// each of the four blocks of a scan step, from the single-block steps and
// from the last, partial block; a second one further on tests the way
// back to the scan and in again.
func TestVectorUTF8SparseText(t *testing.T) {
	requireVector(t)
	buf := bytes.Repeat([]byte{'x'}, 600)
	for _, n := range []int{64, 95, 127, 128, 129, 200, 255, 256, 257, 383, 600} {
		p := buf[:n]
		for _, s := range sparseSamples {
			for off := 0; off+len(s) <= n; off++ {
				copy(p[off:], s)
				checkAgree(t, p)
				for _, gap := range []int{1, 31, 32, 33, 95, 160} {
					if at := off + len(s) + gap; at+len(s) <= n {
						copy(p[at:], "é")
						checkAgree(t, p)
						copy(p[at:], s)
						checkAgree(t, p)
						copy(p[at:], "xxxx"[:len(s)])
					}
				}
				copy(p[off:], "xxxx"[:len(s)])
			}
		}
	}
}
