//go:build !js

package fastws

import (
	"os"
	"testing"

	"github.com/fastws/fastws/internal/xconnect"
)

// TestMain runs the tests in a process whose HTTP/2 servers advertise
// extended CONNECT (see internal/xconnect).
// The binary run with plainH2Helper set is a server for one test instead.
func TestMain(m *testing.M) {
	if os.Getenv(plainH2Helper) == "1" {
		os.Exit(servePlainH2())
	}
	xconnect.Main(m)
}
