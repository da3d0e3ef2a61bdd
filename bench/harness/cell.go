package harness

import (
	"fmt"
	"strconv"
	"strings"
)

// Cell is one load of the matrix: Conns connections each echoing
// messages of Size bytes.
type Cell struct {
	Conns int
	Size  int
}

// DefaultCells is the default matrix. The last cell needs 10,000
// descriptors in each process, the load generator and the server, which
// both raise RLIMIT_NOFILE to its hard limit (20,000 on the machines this
// was written on); where that is too low, its rows say so.
var DefaultCells = []Cell{
	{100, 20},
	{100, 1 << 10},
	{100, 16 << 10},
	{10, 64 << 10},
	{1000, 1 << 10},
	{10000, 1 << 10},
}

func (c Cell) String() string { return fmt.Sprintf("%dx%s", c.Conns, FormatSize(c.Size)) }

// Title is the cell's heading in the report.
func (c Cell) Title() string {
	return fmt.Sprintf("%d connections × %s messages", c.Conns, FormatSize(c.Size))
}

// ParseCells parses a comma-separated list such as "100x20B,10x64KiB".
func ParseCells(s string) ([]Cell, error) {
	var cells []Cell
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		conns, size, ok := strings.Cut(item, "x")
		n, err := strconv.Atoi(conns)
		if !ok || err != nil || n <= 0 {
			return nil, fmt.Errorf("bad cell %q: want CONNSxSIZE, e.g. 100x1KiB", item)
		}
		b, err := ParseSize(size)
		if err != nil {
			return nil, fmt.Errorf("bad cell %q: %w", item, err)
		}
		cells = append(cells, Cell{Conns: n, Size: b})
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("no cells in %q", s)
	}
	return cells, nil
}

// ParseSize parses a byte count with an optional B, KiB or MiB suffix.
func ParseSize(s string) (int, error) {
	mult := 1
	for _, u := range []struct {
		suffix string
		mult   int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"B", 1}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// FormatSize writes n bytes the way ParseSize reads them, in the largest
// unit that divides n.
func FormatSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	default:
		return fmt.Sprintf("%dB", n)
	}
}
