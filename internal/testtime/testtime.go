// Package testtime says how much longer than usual a test run may take,
// so that no test depends on the speed of the machine it runs on. The
// race detector makes code 2 to 20 times slower, and a loaded or small
// machine adds its own factor: tests multiply their time limits by Scale,
// never their expectations of how fast something is.
package testtime

import (
	"os"
	"strconv"
	"time"
)

// raceScale is the factor the race detector alone accounts for.
const raceScale = 5

// Scale is the factor time limits in tests are multiplied by: 5 under the
// race detector, 1 without, times FASTWS_TIME_SCALE when it is set (for
// a slow or busy machine: FASTWS_TIME_SCALE=3 make test).
func Scale() float64 {
	if Race {
		return raceScale * MachineScale()
	}
	return MachineScale()
}

// MachineScale is FASTWS_TIME_SCALE alone (1 when unset): for limits on
// work the race detector does not slow, such as waiting for a peer that
// never answers.
func MachineScale() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("FASTWS_TIME_SCALE"), 64); err == nil && v > 0 {
		return v
	}
	return 1
}

// Limit is d times Scale.
func Limit(d time.Duration) time.Duration {
	return time.Duration(float64(d) * Scale())
}
