package fanout

import (
	"fmt"
	"strconv"
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

// formatLatency prints d with three significant digits or so.
func formatLatency(d time.Duration) string {
	switch {
	case d < 100*time.Microsecond:
		return fmt.Sprintf("%.1f µs", micros(d))
	case d < time.Millisecond:
		return fmt.Sprintf("%.0f µs", micros(d))
	case d < time.Second:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

// formatCount prints n rounded, with thousands separators.
func formatCount(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
