//go:build !race

package testtime

// Race reports whether the race detector is on.
const Race = false
