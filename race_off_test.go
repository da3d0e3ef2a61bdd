//go:build !race

package fastws

const raceEnabled = false
