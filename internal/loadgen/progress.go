package loadgen

// Progress is a load's counters so far, for a live progress line and for
// the final report (after Stop or Wait it is exact).
type Progress struct {
	Open       int               // connections alive
	Messages   uint64            // echoes completed while recording
	Mismatches uint64            // of those, echoes that differed from the message sent (KeepGoing)
	Behind     uint64            // open loop: sends due and not yet made, the server being behind
	Latency    Histogram         // the echoes' round trips
	Errors     map[string]uint64 // failed connections by kind (KeepGoing), "connect" for dials
}
