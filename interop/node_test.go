package interop

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// TestNodeClientToFastwsServer runs Node ws's client (node/client.js)
// against a fastws server and checks both its report and what the server
// saw.
func TestNodeClientToFastwsServer(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingNode("ws")...)
	e := newEchoServer(t, acceptAnyOrigin)
	rep, exitErr := runPeerClient(t, testtime.Limit(2*time.Minute), os.Environ(),
		"node", filepath.Join(nodeDir, "client.js"), e.url)
	checkClientReport(t, rep, exitErr, echoListNames())
	checkEchoServerRecords(t, e, []string{"ping-from-client"})
}

// TestFastwsClientToNodeServer runs the echo list with a fastws client
// against Node ws's server (node/echo-server.js) and checks what that
// server saw.
func TestFastwsClientToNodeServer(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingNode("ws")...)
	s := startPeerServer(t, os.Environ(), "node", filepath.Join(nodeDir, "echo-server.js"))
	runEchoList(t, s.url)
	checkPeerServerReports(t, s)
}
