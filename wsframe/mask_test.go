package wsframe

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func maskBytewise(key [4]byte, pos int, b []byte) int {
	for i := range b {
		b[i] ^= key[(pos+i)&3]
	}
	return (pos + len(b)) & 3
}

// Every length 0–1024, every alignment of the buffer and every starting
// key position agrees with the byte-at-a-time definition.
func TestMaskMatchesBytewise(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	backing := make([]byte, 1024+16)
	for i := range backing {
		backing[i] = byte(rng.Uint32())
	}
	key := [4]byte{0x12, 0x34, 0x56, 0x78}
	for n := 0; n <= 1024; n++ {
		for align := 0; align < 8; align++ {
			for pos := 0; pos < 4; pos++ {
				got := append([]byte(nil), backing[align:align+n]...)
				// Mask in place at the real alignment inside a larger buffer.
				buf := append([]byte(nil), backing...)
				gp := Mask(key, pos, buf[align:align+n])
				want := append([]byte(nil), got...)
				wp := maskBytewise(key, pos, want)
				if gp != wp || !bytes.Equal(buf[align:align+n], want) {
					t.Fatalf("n=%d align=%d pos=%d: mismatch", n, align, pos)
				}
				if !bytes.Equal(buf[:align], backing[:align]) || !bytes.Equal(buf[align+n:], backing[align+n:]) {
					t.Fatalf("n=%d align=%d pos=%d: wrote outside the slice", n, align, pos)
				}
			}
		}
	}
}

// Masking in parts gives the same result as masking at once.
func TestMaskInParts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	key := [4]byte{0xde, 0xad, 0xbe, 0xef}
	whole := make([]byte, 5000)
	for i := range whole {
		whole[i] = byte(rng.Uint32())
	}
	parts := append([]byte(nil), whole...)
	Mask(key, 0, whole)
	pos := 0
	for off := 0; off < len(parts); {
		n := min(1+rng.IntN(97), len(parts)-off)
		pos = Mask(key, pos, parts[off:off+n])
		off += n
	}
	if !bytes.Equal(whole, parts) {
		t.Fatal("masking in parts differs")
	}
}

func benchmarkMask(b *testing.B, n int, f func([4]byte, int, []byte) int) {
	buf := make([]byte, n)
	key := [4]byte{1, 2, 3, 4}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		f(key, 0, buf)
	}
}

// BenchmarkMask compares, at each size, Mask as it runs here (impl=Mask),
// each of its paths forced (avx2, sse2, purego: below the thresholds of
// mask_amd64.go they are all the pure-Go one) and the straightforward
// byte loop (bytewise), for the ratio the performance target asks for.
// The names are key=value so that `benchstat -col /impl` lays the
// implementations side by side.
func BenchmarkMask(b *testing.B) {
	for _, n := range []int{16, 1024, 64 << 10, 1 << 20} {
		b.Run("impl=Mask/size="+sizeName(n), func(b *testing.B) { benchmarkMask(b, n, Mask) })
		for _, p := range maskPaths {
			b.Run("impl="+p.name+"/size="+sizeName(n), func(b *testing.B) {
				useMaskPath(b, p)
				benchmarkMask(b, n, Mask)
			})
		}
		b.Run("impl=bytewise/size="+sizeName(n), func(b *testing.B) { benchmarkMask(b, n, maskBytewise) })
	}
}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return itoa(n>>20) + "MiB"
	case n >= 1<<10:
		return itoa(n>>10) + "KiB"
	}
	return itoa(n) + "B"
}

func itoa(n int) string {
	return string(appendInt(nil, n))
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
