package wsframe

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// The vector validator must agree with unicode/utf8.Valid on every input;
// these tests put each suspect sequence at every position relative to the
// 32-byte blocks, including the overlapping last block and the end.

func requireVector(t *testing.T) {
	t.Helper()
	if !useAVX2 {
		t.Skip("no vector validator on this machine or build (purego, or a CPU without AVX2); the scalar path is tested elsewhere")
	}
}

func checkAgree(t *testing.T, p []byte) {
	t.Helper()
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
	buf := make([]byte, 100)
	for i := range buf {
		buf[i] = 'x'
	}
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
	buf := make([]byte, 97)
	for i := range buf {
		buf[i] = 'x'
	}
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
						checkAgree(t, buf[:off+4]) // ending right after it
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

// TestUTF8BothPaths runs the incremental validator over split inputs with
// the vector path on and off, and demands the same answers.
func TestUTF8BothPaths(t *testing.T) {
	requireVector(t)
	defer func(v bool) { useAVX2 = v }(useAVX2)
	inputs := [][]byte{}
	for _, s := range utf8Corpus() {
		inputs = append(inputs, s[:300])
	}
	bad := append([]byte(nil), inputs[0]...)
	bad[150] = 0xC0
	inputs = append(inputs, bad)
	for _, p := range inputs {
		for split := 0; split <= len(p); split += 7 {
			var got [2]bool
			for i, vec := range []bool{false, true} {
				useAVX2 = vec
				var v UTF8
				got[i] = v.Feed(p[:split]) && v.Feed(p[split:]) && v.Complete()
			}
			if got[0] != got[1] || got[0] != utf8.Valid(p) {
				t.Fatalf("split %d: scalar %v, vector %v, utf8.Valid %v", split, got[0], got[1], utf8.Valid(p))
			}
		}
	}
}

// Random text, valid and damaged, of every length 0–1024 at every
// alignment 0–31 of its buffer: the vector validator (from 64 bytes, its
// minimum), the dispatch that picks it and the scalar validator all agree
// with unicode/utf8.Valid.
func TestUTF8EveryLengthAndAlignment(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	runes := []rune{'a', 'z', ' ', 'é', 'ж', '€', '世', '😀', 0x10FFFF, 0x7FF, 0x800, 0xFFFF, 0x10000}
	var text []byte
	for len(text) < 1024+64 {
		text = utf8.AppendRune(text, runes[rng.IntN(len(runes))])
	}
	backing := make([]byte, 1024+64)
	for n := 0; n <= 1024; n++ {
		for align := 0; align < 32; align++ {
			p := backing[align : align+n]
			for damage := range 2 {
				copy(p, text[align:]) // a cut mid-character is invalid, as it should be
				if damage == 1 && n > 0 {
					p[rng.IntN(n)] = byte(rng.IntN(256))
				}
				want := utf8.Valid(p)
				if got := validWhole(p); got != want {
					t.Fatalf("n=%d align=%d: validWhole %v, utf8.Valid %v", n, align, got, want)
				}
				if useAVX2 && n >= 64 {
					if got := validAVX2(p); got != want {
						t.Fatalf("n=%d align=%d: validAVX2 %v, utf8.Valid %v", n, align, got, want)
					}
				}
				var v UTF8
				if got := v.Feed(p) && v.Complete(); got != want {
					t.Fatalf("n=%d align=%d: UTF8.Feed %v, utf8.Valid %v", n, align, got, want)
				}
			}
		}
	}
}
