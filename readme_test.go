package fastws

import (
	"os"
	"strings"
	"testing"
)

// Every Go block in README.md is quoted from example_test.go, whose
// examples compile and run with the tests: a README example that stops
// compiling, or drifts from what runs, fails here. Indentation is ignored.
func TestREADMEQuotesExamples(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	source := unindent(string(examples))
	blocks := 0
	for rest := string(readme); ; {
		_, after, ok := strings.Cut(rest, "```go\n")
		if !ok {
			break
		}
		block, after, ok := strings.Cut(after, "```")
		if !ok {
			t.Fatal("README.md: a ```go block is not closed")
		}
		rest = after
		blocks++
		if !strings.Contains(source, unindent(block)) {
			t.Errorf("README.md quotes code that is not in example_test.go:\n%s", block)
		}
	}
	if blocks == 0 {
		t.Error("README.md has no ```go blocks")
	}
}

// unindent trims the leading white space of every line.
func unindent(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeft(l, " \t")
	}
	return strings.Join(lines, "\n")
}
