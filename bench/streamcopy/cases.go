package streamcopy

import (
	"fmt"
	"strings"
)

// TransportKeys are the transports of the -transports flag, in the order
// of the report.
var TransportKeys = []string{"tcp", "fastws", "coder"}

// Cases builds the rows: for each copy mode (io.Copy, then io.CopyBuffer
// with buffer if it is positive), each transport of keys; with maxFrame
// positive, a fastws row with that StreamOptions.MaxFrameSize follows each
// fastws row.
func Cases(keys []string, buffer, maxFrame int) ([]Case, error) {
	var ts []Transport
	for _, k := range keys {
		switch strings.TrimSpace(k) {
		case "tcp":
			ts = append(ts, TCP())
		case "fastws":
			ts = append(ts, Fastws(0))
			if maxFrame > 0 {
				ts = append(ts, Fastws(maxFrame))
			}
		case "coder":
			ts = append(ts, Coder())
		case "":
		default:
			return nil, fmt.Errorf("unknown transport %q (have %s)", k, strings.Join(TransportKeys, ", "))
		}
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("no transports")
	}
	buffers := []int{0}
	if buffer > 0 {
		buffers = append(buffers, buffer)
	}
	var cs []Case
	for _, buf := range buffers {
		for _, t := range ts {
			cs = append(cs, Case{Transport: t, Buffer: buf})
		}
	}
	return cs, nil
}
