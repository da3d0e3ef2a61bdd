package wsframe

import (
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// utf8AVX2 and utf8SSE2 are what this machine and build support, saved
// before any test turns the switches off.
var utf8AVX2, utf8SSE2 = useAVX2, useSSE2

// utf8Path is one way validWhole can run, as the settings of the path
// switches.
type utf8Path struct {
	name       string
	avx2, sse2 bool
}

// utf8Paths are the paths this machine and build can take: the portable
// one always, SSE2 on amd64, AVX2 where the CPU has it.
func utf8Paths() []utf8Path {
	paths := []utf8Path{{"generic", false, false}}
	if utf8SSE2 {
		paths = append(paths, utf8Path{"sse2", false, true})
	}
	if utf8AVX2 {
		paths = append(paths, utf8Path{"avx2", true, true})
	}
	return paths
}

// onUTF8Path runs f with the switches set for path p, then restores them.
func onUTF8Path(p utf8Path, f func()) {
	defer func(avx2, sse2 bool) { useAVX2, useSSE2 = avx2, sse2 }(useAVX2, useSSE2)
	useAVX2, useSSE2 = p.avx2, p.sse2
	f()
}

// forEachUTF8Path runs f as a subtest on every path.
func forEachUTF8Path(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	for _, p := range utf8Paths() {
		t.Run(p.name, func(t *testing.T) { onUTF8Path(p, func() { f(t) }) })
	}
}

// The paths must answer alike for text split anywhere, including the
// texts that move the vector validator between its ASCII scan and its
// full check.
func TestUTF8AllPaths(t *testing.T) {
	var inputs [][]byte
	for _, s := range utf8Corpus() {
		inputs = append(inputs, s[:300])
	}
	intl := utf8Corpus()["jsonintl"]
	inputs = append(inputs, intl[:3000])
	bad := append([]byte(nil), inputs[0]...)
	bad[150] = 0xC0
	inputs = append(inputs, bad)
	forEachUTF8Path(t, func(t *testing.T) {
		for _, p := range inputs {
			want := utf8.Valid(p)
			for split := 0; split <= len(p); split += 7 {
				var v UTF8
				if got := v.Feed(p[:split]) && v.Feed(p[split:]) && v.Complete(); got != want {
					t.Fatalf("%.20q split %d: %v, utf8.Valid %v", p, split, got, want)
				}
			}
		}
	})
}

// Random text, valid and damaged, of every length 0–1024 at every
// alignment 0–31 of its buffer: on every path, validWhole and UTF8.Feed
// agree with unicode/utf8.Valid. One text is dense with multi-byte
// characters, the other mostly ASCII, so that every length meets the
// ASCII scans' steps and ends.
func TestUTF8EveryLengthAndAlignment(t *testing.T) {
	dense := []rune{'a', 'z', ' ', 'é', 'ж', '€', '世', '😀', 0x10FFFF, 0x7FF, 0x800, 0xFFFF, 0x10000}
	sparse := []rune{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', '{', '}', '"', ':', ',', ' ', 'é', '世', '😀'}
	forEachUTF8Path(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, runes := range [][]rune{dense, sparse} {
			var text []byte
			for len(text) < 1024+64 {
				text = utf8.AppendRune(text, runes[rng.IntN(len(runes))])
			}
			backing := make([]byte, 1024+64)
			for n := 0; n <= 1024; n++ {
				for align := range 32 {
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
						var v UTF8
						if got := v.Feed(p) && v.Complete(); got != want {
							t.Fatalf("n=%d align=%d: UTF8.Feed %v, utf8.Valid %v", n, align, got, want)
						}
					}
				}
			}
		}
	})
}
