//go:build linux

package fastws

func init() {
	testDrivers = append(testDrivers, struct {
		name   string
		driver Driver
	}{"loops", DriverLoops})
}
