package wsframe

import (
	"testing"
	"unicode/utf8"
)

// BenchmarkUTF8 compares UTF8.Feed (impl=fastws) with unicode/utf8.Valid
// (impl=stdlib) on the same texts in one run, so that the ratio between
// them is not blurred by a noisy machine; `benchstat -col /impl` lays them
// side by side. Small ASCII sizes are here because most messages are
// small, and there the cost of choosing a path outweighs the loop.
func BenchmarkUTF8(b *testing.B) {
	corpus := utf8Corpus()
	cases := []struct {
		text string
		size int
		name string
	}{
		{"ascii", 16, "16B"},
		{"ascii", 128, "128B"},
		{"ascii", 1 << 10, "1KiB"},
		{"ascii", corpusSize, "64KiB"},
		{"json", corpusSize, "64KiB"},
		{"jsonintl", corpusSize, "64KiB"},
		{"mixed", corpusSize, "64KiB"},
		{"4byte", corpusSize, "64KiB"},
	}
	feed := func(p []byte) bool {
		var v UTF8
		return v.Feed(p) && v.Complete()
	}
	for _, c := range cases {
		s := corpus[c.text][:min(c.size, len(corpus[c.text]))]
		suffix := "/text=" + c.text + "/size=" + c.name
		b.Run("impl=fastws"+suffix, func(b *testing.B) { benchmarkUTF8(b, s, feed) })
		b.Run("impl=stdlib"+suffix, func(b *testing.B) { benchmarkUTF8(b, s, utf8.Valid) })
	}
}

func benchmarkUTF8(b *testing.B, s []byte, valid func([]byte) bool) {
	b.SetBytes(int64(len(s)))
	b.ReportAllocs()
	for b.Loop() {
		if !valid(s) {
			b.Fatal("valid text rejected")
		}
	}
}
