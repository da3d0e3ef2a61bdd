package wsframe

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// corpusSize is the length of the large texts: the size of a typical big
// message, and more than a first-level data cache holds, so a benchmark
// sees memory speed as well as instruction counts.
const corpusSize = 64 << 10

// repeatText repeats s up to n bytes and cuts the result back to the last
// character boundary, so that every text is valid and no longer than n.
func repeatText(s string, n int) []byte {
	p := []byte(strings.Repeat(s, n/len(s)+1)[:n])
	for !utf8.Valid(p) {
		p = p[:len(p)-1]
	}
	return p
}

// jsonText is ASCII JSON of the kind most text messages carry. With intl,
// every 16th record names someone outside ASCII, so the text has a
// non-ASCII character every kilobyte or so.
func jsonText(n int, intl bool) []byte {
	names := []string{"Zoë Müller", "Łukasz Żółw", "李雷", "Ольга"}
	var sb strings.Builder
	sb.WriteString("[")
	for i := 0; sb.Len() < n; i++ {
		name := fmt.Sprintf("user%d", i)
		if intl && i%16 == 15 {
			name = names[i/16%len(names)]
		}
		fmt.Fprintf(&sb, `{"id":%d,"name":%q,"email":"user%d@example.com","active":%t,"score":%d.%d,"tags":["alpha","beta"],"ts":"2026-12-01T10:%02d:00Z"},`,
			1000+i, name, i, i%3 != 0, 50+i%50, i%10, i%60)
	}
	p := []byte(sb.String())[:n]
	for !utf8.Valid(p) {
		p = p[:len(p)-1]
	}
	return p
}

// utf8Corpus holds the texts the benchmarks measure and the tests and the
// fuzz target start from: pure ASCII prose and JSON, JSON with rare
// non-ASCII names, mixed scripts, and 4-byte characters only.
func utf8Corpus() map[string][]byte {
	return map[string][]byte{
		"ascii":    repeatText("The quick brown fox jumps over the lazy dog. ", corpusSize),
		"json":     jsonText(corpusSize, false),
		"jsonintl": jsonText(corpusSize, true),
		"mixed":    repeatText("Hello, мир! Γειά σου κόσμε. こんにちは世界。 Grüße, ça va? ", corpusSize),
		"4byte":    repeatText("😀🎉🚀𝄞𠜎", corpusSize),
	}
}
