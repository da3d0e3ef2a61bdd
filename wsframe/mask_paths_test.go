package wsframe

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The AVX2, SSE2 and pure-Go masking paths must each agree with the
// byte-at-a-time definition. Every path is reached through Mask, so the
// dispatch, the thresholds and the Go tail after the assembly are tested
// with it.

// maskPath is one way Mask can run, as the settings of the path switches.
type maskPath struct {
	name       string
	avx2, sse2 bool
}

var maskPaths = []maskPath{
	{"avx2", true, true},
	{"sse2", false, true},
	{"purego", false, false},
}

// The switches start out saying what this machine and build offer;
// recorded before any test changes them.
var (
	haveMaskAVX2 = useMaskAVX2
	haveMaskSSE2 = useMaskSSE2
)

// useMaskPath switches Mask to p until tb ends, or skips tb when this CPU
// or build lacks p. Tests using it must not run in parallel.
func useMaskPath(tb testing.TB, p maskPath) {
	tb.Helper()
	if p.sse2 && !haveMaskSSE2 {
		tb.Skipf("%s: no masking assembly in this build (purego tag or not amd64)", p.name)
	}
	if p.avx2 && !haveMaskAVX2 {
		tb.Skipf("%s: the CPU lacks AVX2", p.name)
	}
	avx2, sse2 := useMaskAVX2, useMaskSSE2
	tb.Cleanup(func() { useMaskAVX2, useMaskSSE2 = avx2, sse2 })
	useMaskAVX2, useMaskSSE2 = p.avx2, p.sse2
}

// randomBytes returns n bytes from a fixed seed, so failures reproduce.
func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// checkMaskRange masks buf[align:align+n] from key position pos after
// restoring buf from backing, and demands want[:n] inside the slice, the
// original bytes outside it, and the right next key position. Masking is
// positionwise, so one want per alignment and position serves every n.
func checkMaskRange(t *testing.T, key [4]byte, backing, buf, want []byte, align, pos, n int) {
	t.Helper()
	copy(buf, backing)
	gp := Mask(key, pos, buf[align:align+n])
	if wp := (pos + n) & 3; gp != wp {
		t.Fatalf("n=%d align=%d pos=%d: next key position %d, want %d", n, align, pos, gp, wp)
	}
	if !bytes.Equal(buf[align:align+n], want[:n]) {
		i := 0
		for buf[align+i] == want[i] {
			i++
		}
		t.Fatalf("n=%d align=%d pos=%d: first wrong byte at %d", n, align, pos, i)
	}
	if !bytes.Equal(buf[:align], backing[:align]) || !bytes.Equal(buf[align+n:], backing[align+n:]) {
		t.Fatalf("n=%d align=%d pos=%d: wrote outside the slice", n, align, pos)
	}
}

// maskedPhases returns backing masked bytewise from each key position:
// the byte at backing[i] masked as part of a slice that starts at
// backing[align] from key position pos is phases[(pos-align)&3][i].
// Computing the four once, rather than per alignment and position, keeps
// the megabyte cases fast under the race detector.
func maskedPhases(key [4]byte, backing []byte) (phases [4][]byte) {
	for ph := range phases {
		phases[ph] = append([]byte(nil), backing...)
		maskBytewise(key, ph, phases[ph])
	}
	return phases
}

// wantAt returns the expected masking of the slice of backing that starts
// at align, from key position pos, up to the end of backing.
func wantAt(phases *[4][]byte, align, pos int) []byte {
	return phases[(pos-align)&3][align:]
}

// Every length 0–1024, with every alignment to a 32-byte vector and every
// starting key position, on each path. The lengths cover each routine's
// threshold and every count of whole blocks and leftover bytes up to it.
func TestMaskPathsShort(t *testing.T) {
	const maxN, guard = 1024, 64
	backing := randomBytes(32+maxN+guard, 5)
	buf := make([]byte, len(backing))
	key := [4]byte{0x9a, 0x0b, 0xe5, 0x71}
	phases := maskedPhases(key, backing)
	for _, p := range maskPaths {
		t.Run(p.name, func(t *testing.T) {
			useMaskPath(t, p)
			for align := 0; align < 32; align++ {
				for pos := 0; pos < 4; pos++ {
					want := wantAt(&phases, align, pos)
					for n := 0; n <= maxN; n++ {
						checkMaskRange(t, key, backing, buf, want, align, pos, n)
					}
				}
			}
		})
	}
}

// Lengths a little under and over 64 KiB and 1 MiB, the sizes frames are
// commonly read in, where a loop-count or length-truncation mistake in the
// assembly would show.
func TestMaskPathsLong(t *testing.T) {
	const guard = 256
	deltas := []int{-129, -128, -127, -33, -32, -31, -17, -16, -15, -1, 0, 1, 15, 16, 17, 31, 32, 33, 127, 128, 129}
	aligns := []int{0, 1, 2, 6, 14, 31}
	key := [4]byte{0x3c, 0xf0, 0x0f, 0xc3}
	for _, base := range []int{64 << 10, 1 << 20} {
		maxN := base + deltas[len(deltas)-1]
		backing := randomBytes(32+maxN+guard, uint64(base))
		buf := make([]byte, len(backing))
		phases := maskedPhases(key, backing)
		for _, p := range maskPaths {
			t.Run(sizeName(base)+"/"+p.name, func(t *testing.T) {
				useMaskPath(t, p)
				// The key position cycles with the length rather than
				// running through all four for each: the short test covers
				// every combination, and a megabyte per check adds up under
				// the race detector.
				for _, align := range aligns {
					for i, d := range deltas {
						pos := (align + i) & 3
						checkMaskRange(t, key, backing, buf, wantAt(&phases, align, pos), align, pos, base+d)
					}
				}
			})
		}
	}
}

// Masking a long payload in uneven parts on each path matches masking it
// at once with the bytewise loop, so the key position handed from one
// call to the next survives the vector routines.
func TestMaskPathsInParts(t *testing.T) {
	whole := randomBytes(200000, 7)
	key := [4]byte{0x01, 0x80, 0x7f, 0xfe}
	want := append([]byte(nil), whole...)
	maskBytewise(key, 0, want)
	for _, p := range maskPaths {
		t.Run(p.name, func(t *testing.T) {
			useMaskPath(t, p)
			rng := rand.New(rand.NewPCG(8, 9))
			got := append([]byte(nil), whole...)
			pos := 0
			for off := 0; off < len(got); {
				n := min(1+rng.IntN(3000), len(got)-off)
				pos = Mask(key, pos, got[off:off+n])
				off += n
			}
			if !bytes.Equal(got, want) {
				t.Fatal("masking in parts differs from the bytewise loop")
			}
		})
	}
}
