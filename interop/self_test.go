package interop

import (
	"testing"

	"github.com/fastws/fastws/internal/leakcheck"
)

// TestFastwsClientToFastwsServer runs the echo list with fastws on both
// ends. It needs no peer, so it always runs: it checks the harness itself
// (the list, the echo server, the checks of what the server saw) before
// any peer is blamed for a failure.
func TestFastwsClientToFastwsServer(t *testing.T) {
	leakcheck.Check(t)
	e := newEchoServer(t, acceptAnyOrigin)
	runEchoList(t, e.url)
	checkEchoServerRecords(t, e, []string{"ping-from-client"})
}
