//go:build race

package fastws

// Under the race detector sync.Pool drops items at random, so allocation
// counts mean nothing; make test runs the allocation tests without -race.
const raceEnabled = true
