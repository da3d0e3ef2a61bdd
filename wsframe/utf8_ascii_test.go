package wsframe

import (
	"bytes"
	"testing"
)

// Each ASCII scan returns exactly where the ASCII prefix ends, at every
// length, alignment and position of the first byte of 0x80 or more, with
// another such byte at the end or none, and without looking past the end
// of its input: the bytes after it are all high.
func TestASCIIPrefix(t *testing.T) {
	scans := []struct {
		name string
		scan func([]byte) int
	}{{"go", asciiPrefix}}
	if utf8SSE2 {
		scans = append(scans, struct {
			name string
			scan func([]byte) int
		}{"sse2", asciiPrefixSSE2})
	}
	const maxLen = 300
	for _, sc := range scans {
		backing := make([]byte, maxLen+32)
		for n := 0; n <= maxLen; n++ {
			for align := range 16 {
				for i := range backing {
					backing[i] = 0xFF
				}
				p := backing[align : align+n]
				copy(p, bytes.Repeat([]byte{'a'}, n))
				for first := 0; first <= n; first++ {
					for _, last := range []bool{false, true} {
						if first < n {
							p[first] = 0x80 | byte(first)
						}
						if last && n > 0 {
							p[n-1] |= 0x80
						}
						want := first
						if last && n > 0 {
							want = min(first, n-1)
						}
						if got := sc.scan(p); got != want {
							t.Fatalf("%s: n=%d align=%d high bytes at %d and last=%v: got %d, want %d", sc.name, n, align, first, last, got, want)
						}
						copy(p, bytes.Repeat([]byte{'a'}, n))
					}
				}
			}
		}
	}
}
