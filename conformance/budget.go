package conformance

import "time"

// Time budgets, at time scale 1. A case that moves a lot of data is given
// a limit in proportion to its work: a fixed allowance plus the work at
// rates far below what a conforming testee reaches (fastws, suite and
// testee in one process on two loaded cores, manages ten or more times
// these), so that a slow or busy machine passes and a stuck testee still
// fails in bounded time. ServerConfig.TimeScale and ClientSuite.TimeScale
// stretch every budget further, for the race detector or a slow machine.
const (
	// baseBudget covers connecting, the closing handshake and scheduling.
	baseBudget = 10 * time.Second
	// plainRate is bytes a second sent, echoed and checked.
	plainRate = 4 << 20
	// deflateRate is bytes a second compressed, inflated and echoed on
	// both sides.
	deflateRate = 512 << 10
	// frameCost is the allowance per frame sent.
	frameCost = 50 * time.Microsecond
	// roundTripCost is the allowance per message that must come back
	// before the next is sent.
	roundTripCost = 5 * time.Millisecond
)

// work is what a case does, for its budget.
type work struct {
	bytes      int // payload bytes sent (each comes back)
	rate       int // bytes a second the budget allows: plainRate or deflateRate
	frames     int // frames sent
	roundTrips int // messages sent one at a time, each after the previous came back
}

// budget is the time limit at time scale 1 for a case doing w.
func budget(w work) time.Duration {
	d := baseBudget + time.Duration(w.frames)*frameCost + time.Duration(w.roundTrips)*roundTripCost
	if w.rate > 0 {
		d += time.Duration(float64(w.bytes) / float64(w.rate) * float64(time.Second))
	}
	return d
}
