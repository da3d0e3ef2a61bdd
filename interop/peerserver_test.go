package interop

import (
	"encoding/json"
	"github.com/fastws/fastws/internal/testtime"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// peerServer is a peer's echo server script, running for one test.
type peerServer struct {
	*peerProcess
	out *lineWriter
	url string // ws://127.0.0.1:PORT
}

// serverReport is a JSON line an echo server script prints: how a
// connection ended ("close") or what went wrong on it ("error"). A close
// also says what permessage-deflate the connection negotiated: the
// Sec-WebSocket-Extensions the server sent and the terms it applied.
type serverReport struct {
	Event      string        `json:"event"`
	Path       string        `json:"path"`
	Code       int           `json:"code"`
	Reason     string        `json:"reason"`
	Error      string        `json:"error"`
	Extensions string        `json:"extensions"`
	Agreed     *deflateTerms `json:"agreed"`
}

// startPeerServer runs an echo server script on a free port of 127.0.0.1
// and waits for it to print the port.
func startPeerServer(t *testing.T, env []string, argv ...string) *peerServer {
	t.Helper()
	return startPeerServerFor(t, testtime.Limit(2*time.Minute), env, argv...)
}

// startPeerServerFor is startPeerServer for a server that must run up to
// timeout.
func startPeerServerFor(t *testing.T, timeout time.Duration, env []string, argv ...string) *peerServer {
	t.Helper()
	return startPeerServerArgs(t, timeout, env, argv)
}

// startPeerServerArgs is startPeerServerFor with arguments after the port
// (which is 0: any free one).
func startPeerServerArgs(t *testing.T, timeout time.Duration, env []string, argv []string, after ...string) *peerServer {
	t.Helper()
	out := newLineWriter()
	s := &peerServer{out: out}
	s.peerProcess = startPeer(t, timeout, env, out, append(append(slices.Clip(argv), "0"), after...)...)
	first, err := out.waitLine(testtime.Limit(20*time.Second), func(string) bool { return true })
	if err != nil {
		t.Fatalf("%s printed no port: %v", s.name, err)
	}
	port, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || port <= 0 || port > 65535 {
		t.Fatalf("%s printed %q as its first line, want a port", s.name, first)
	}
	s.url = "ws://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return s
}

// reports returns the JSON lines the server printed after its port.
func (s *peerServer) reports(t *testing.T) []serverReport {
	t.Helper()
	var reps []serverReport
	for i, l := range s.out.all() {
		if i == 0 {
			continue
		}
		var r serverReport
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Errorf("%s printed %q, not a JSON report: %v", s.name, l, err)
			continue
		}
		reps = append(reps, r)
	}
	return reps
}

// waitClose waits for the server's report of how the connection on path
// closed.
func (s *peerServer) waitClose(t *testing.T, path string) (serverReport, bool) {
	t.Helper()
	var r serverReport
	_, err := s.out.waitLine(testtime.Limit(10*time.Second), func(l string) bool {
		return json.Unmarshal([]byte(l), &r) == nil && r.Event == "close" && r.Path == path
	})
	if err != nil {
		t.Errorf("%s reported no close of %s: %v", s.name, path, err)
		return serverReport{}, false
	}
	return r, true
}

// checkPeerServerReports checks what the peer's server saw of the fastws
// client's list: the client's close 4001 "bye-from-client" on /main
// exactly, fastws's answer to the server's close 4002 on /server-close
// (the code echoed, as RFC 6455 5.5.1 asks), and no errors.
func checkPeerServerReports(t *testing.T, s *peerServer) {
	t.Helper()
	checkPeerServerReportsAt(t, s, "")
}

// checkPeerServerReportsAt is checkPeerServerReports for the paths under
// prefix (the paths of one variant).
func checkPeerServerReportsAt(t *testing.T, s *peerServer, prefix string) {
	t.Helper()
	if r, ok := s.waitClose(t, prefix+"/main"); ok && (r.Code != 4001 || r.Reason != "bye-from-client") {
		t.Errorf("%s saw %s closed with %d %q, want 4001 %q", s.name, r.Path, r.Code, r.Reason, "bye-from-client")
	}
	if r, ok := s.waitClose(t, prefix+"/server-close"); ok && r.Code != 4002 {
		t.Errorf("%s saw fastws answer its close 4002 with %d %q, want the code echoed", s.name, r.Code, r.Reason)
	}
	for _, r := range s.reports(t) {
		if strings.HasPrefix(r.Path, prefix+"/") && r.Event != "close" {
			t.Errorf("%s reported %+v", s.name, r)
		}
	}
}
