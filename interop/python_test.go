package interop

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// TestPythonClientToFastwsServer runs Python websockets's client
// (python/client.py) against a fastws server and checks both its report
// and what the server saw.
func TestPythonClientToFastwsServer(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingPython()...)
	e := newEchoServer(t, acceptAnyOrigin)
	rep, exitErr := runPeerClient(t, testtime.Limit(2*time.Minute), pythonEnv(),
		pythonPath, filepath.Join("python", "client.py"), e.url)
	checkClientReport(t, rep, exitErr, echoListNames())
	checkEchoServerRecords(t, e, []string{"ping-from-client"})
}

// TestFastwsClientToPythonServer runs the echo list with a fastws client
// against Python websockets's server (python/echo_server.py) and checks
// what that server saw.
func TestFastwsClientToPythonServer(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingPython()...)
	s := startPeerServer(t, pythonEnv(), pythonPath, filepath.Join("python", "echo_server.py"))
	runEchoList(t, s.url)
	checkPeerServerReports(t, s)
}
