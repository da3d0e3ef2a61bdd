package fanout

import (
	"fmt"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/harness"
)

// FormatSize writes n bytes as the echo bench does: 20B, 1KiB.
func FormatSize(n int) string { return harness.FormatSize(n) }

// ParseSizes parses a comma-separated list of sizes such as "20B,1KiB",
// each between MinSize and MaxSize.
func ParseSizes(s string) ([]int, error) {
	var sizes []int
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		n, err := harness.ParseSize(item)
		if err != nil {
			return nil, err
		}
		if n < MinSize || n > MaxSize {
			return nil, fmt.Errorf("size %s: want %d B to %s", item, MinSize, FormatSize(MaxSize))
		}
		sizes = append(sizes, n)
	}
	if len(sizes) == 0 {
		return nil, fmt.Errorf("no sizes in %q", s)
	}
	return sizes, nil
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// formatLatency and formatCount print as the echo bench's reports do.
func formatLatency(d time.Duration) string { return harness.FormatLatency(d) }

func formatCount(n float64) string { return harness.FormatCount(n) }
