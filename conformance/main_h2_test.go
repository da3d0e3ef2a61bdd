package conformance

import (
	"testing"

	"github.com/fastws/fastws/internal/xconnect"
)

// TestMain runs the tests in a process whose HTTP/2 servers advertise
// extended CONNECT (see internal/xconnect), for the runs over HTTP/2
// (server_h2_test.go). The other tests serve HTTP/1.1 only, which the
// setting does not touch.
func TestMain(m *testing.M) { xconnect.Main(m) }
