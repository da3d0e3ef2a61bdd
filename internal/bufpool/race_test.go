//go:build race

package bufpool

// The race detector makes sync.Pool drop items at random.
const raceEnabled = true
