package wsframe

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// validSoFar is the reference for fail-fast validation: p is a prefix of
// some valid UTF-8 text.
func validSoFar(p []byte) bool {
	if utf8.Valid(p) {
		return true
	}
	for k := 1; k <= 3 && k <= len(p); k++ {
		if !utf8.Valid(p[:len(p)-k]) {
			continue
		}
		// Try completions that cover every second-byte range class.
		for _, c2 := range []byte{0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF} {
			tail := append([]byte(nil), p[len(p)-k:]...)
			if k == 1 {
				tail = append(tail, c2)
			}
			for len(tail) < 4 && !utf8.FullRune(tail) {
				tail = append(tail, 0x80)
			}
			if utf8.Valid(tail) && bytes.HasPrefix(tail, p[len(p)-k:]) {
				return true
			}
		}
	}
	return false
}

var utf8Samples = []string{
	"", "a", "hello, world", "κόσμε", "\u00e9\u4e16\U0001F600", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
	"\xf4\x8f\xbf\xbf", "\xf0\x90\x80\x80",
	// invalid
	"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
	"\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xfe", "\xff",
	"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
	"\xc2", "\xe2\x82", "\xf0\x9f\x98", "a\xc2b",
}

func TestUTF8MatchesStdlib(t *testing.T) {
	forEachUTF8Path(t, func(t *testing.T) {
		for _, s := range utf8Samples {
			if got, want := ValidUTF8([]byte(s)), utf8.ValidString(s); got != want {
				t.Errorf("ValidUTF8(%q) = %v, want %v", s, got, want)
			}
		}
		rng := rand.New(rand.NewPCG(5, 6))
		alphabet := []string{"a", "z", "\x7f", "é", "世", "😀", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0", "\x80", "\xe2\x82", "abcdefghijklmnop"}
		for i := 0; i < 20000; i++ {
			var sb strings.Builder
			for j := rng.IntN(40); j > 0; j-- {
				sb.WriteString(alphabet[rng.IntN(len(alphabet))])
			}
			s := []byte(sb.String())
			if got, want := ValidUTF8(s), utf8.Valid(s); got != want {
				t.Fatalf("ValidUTF8(%q) = %v, want %v", s, got, want)
			}
		}
	})
}

// Splitting the input at any two points changes nothing, and Feed fails at
// exactly the first byte after which no valid continuation exists, on
// every path.
func TestUTF8SplitsAndFailsFast(t *testing.T) {
	forEachUTF8Path(t, func(t *testing.T) {
		inputs := append([]string(nil), utf8Samples...)
		inputs = append(inputs, "ab\xf0\x9f\x98\x80cd\xe4\xb8\x96\xc3\xa9", "0123456789abcdef0123456789abcdef\xe4\xb8\x96xyz0123456789abcdef\xff")
		for _, s := range inputs {
			p := []byte(s)
			// Reference: position of the first byte that breaks the prefix.
			bad := -1
			for i := 1; i <= len(p); i++ {
				if !validSoFar(p[:i]) {
					bad = i - 1
					break
				}
			}
			for i := 0; i <= len(p); i++ {
				for j := i; j <= len(p); j++ {
					var v UTF8
					ok := v.Feed(p[:i])
					if ok {
						ok = v.Feed(p[i:j])
					}
					if ok {
						ok = v.Feed(p[j:])
					}
					wantOK := bad < 0
					if ok != wantOK {
						t.Fatalf("%q split at %d,%d: Feed ok=%v, want %v", s, i, j, ok, wantOK)
					}
					if ok && v.Complete() != utf8.Valid(p) {
						t.Fatalf("%q split at %d,%d: Complete=%v", s, i, j, v.Complete())
					}
				}
			}
			// Fail fast: feeding byte by byte fails at exactly the bad byte.
			var v UTF8
			failedAt := -1
			for i := range p {
				if !v.Feed(p[i : i+1]) {
					failedAt = i
					break
				}
			}
			if failedAt != bad {
				t.Errorf("%q: byte-by-byte failed at %d, want %d", s, failedAt, bad)
			}
		}
	})
}
