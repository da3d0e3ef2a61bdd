package servers

import "runtime"

// EventLoops is how many event loops the event-loop servers measured
// here run: nbio's default poller count (NumCPU/4, at least 1), given
// to fastws-loop and epoll-floor as well, so that the three rows compare
// the same number of loops. fastws's own default is GOMAXPROCS loops;
// FastwsLoopAll measures it.
//
// On a machine that runs the load generator beside the server, fewer
// loops cost less per message: each wakes up to more events, and none
// competes with the generator for a core. On 2 cores one loop spent
// 0.75-0.79x the server CPU per message of two, for fastws-loop and
// epoll-floor alike (bench/results/echo-2026-12-03-loops.md).
func EventLoops() int {
	return max(1, runtime.NumCPU()/4)
}
