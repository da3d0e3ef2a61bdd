package interop

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/conformance"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// The conformance suite against each peer, in both directions where the
// peer can be both: the same cases fastws itself passes (./conformance),
// with 0 FAILED expected of every peer. FASTWS_CONFORMANCE_REPORTS names a
// directory for the JSON and HTML reports (make test uses reports/).

// conformanceTimeout bounds a whole run against one peer.
var conformanceTimeout = testtime.Limit(15 * time.Minute)

// skipUnderRace keeps the conformance runs against peers out of the race
// run: they take ten minutes there (against four without the detector),
// and what they test is the peers and the suite's verdicts, not fastws's
// concurrency, which ./conformance checks against fastws under -race.
// make test runs them without -race (make conformance-peers).
func skipUnderRace(t *testing.T) {
	if raceEnabled {
		t.Skip("conformance runs against peers: make test runs them without -race (make conformance-peers)")
	}
}

// pythonDeviations are the cases websockets 10.4 (Debian bookworm's) fails.
// Its zlib call refuses an 8-bit window: asked for server_max_window_bits=8
// it answers 500 instead of declining the offer (13.3.x), and having
// accepted it with no context takeover it fails on its first compressed
// message (13.5.x, and 13.7.x, whose first offer is that one). The test
// requires exactly these to fail, so a websockets that fixes them is
// noticed.
var pythonDeviations = map[string]string{}

func init() {
	for _, g := range []string{"13.3", "13.5", "13.7"} {
		for i := 1; i <= 5; i++ {
			pythonDeviations[g+"."+string(rune('0'+i))] = "zlib in websockets 10.4 cannot compress with an 8-bit window"
		}
	}
}

func TestConformanceNodeServer(t *testing.T) {
	skipUnderRace(t)
	leakcheck.Check(t)
	requirePeers(t, missingNode("ws")...)
	s := startPeerServerFor(t, conformanceTimeout, os.Environ(), "node", filepath.Join(nodeDir, "echo-server.js"))
	runConformanceServer(t, s.url, "node-ws", nil)
}

func TestConformancePythonServer(t *testing.T) {
	skipUnderRace(t)
	leakcheck.Check(t)
	requirePeers(t, missingPython()...)
	s := startPeerServerFor(t, conformanceTimeout, pythonEnv(), pythonPath, filepath.Join("python", "echo_server.py"))
	runConformanceServer(t, s.url, "python-websockets", pythonDeviations)
}

func TestConformanceNodeClient(t *testing.T) {
	skipUnderRace(t)
	leakcheck.Check(t)
	requirePeers(t, missingNode("ws")...)
	runConformanceClient(t, "node-ws", func(base string) []string {
		return []string{"node", filepath.Join(nodeDir, "testee-client.js"), base, "node-ws"}
	}, os.Environ(), nil, nil, nil)
}

func TestConformancePythonClient(t *testing.T) {
	skipUnderRace(t)
	leakcheck.Check(t)
	requirePeers(t, missingPython()...)
	runConformanceClient(t, "python-websockets", func(base string) []string {
		return []string{pythonPath, filepath.Join("python", "testee_client.py"), base, "python-websockets"}
	}, pythonEnv(), nil, nil, nil)
}

// Chromium as the testee client: the page browser/testee.html runs the
// testee protocol against the server that served it.
func TestConformanceChromiumClient(t *testing.T) {
	skipUnderRace(t)
	leakcheck.Check(t)
	requirePeers(t, missingChromium()...)
	profile := t.TempDir()
	t.Cleanup(func() { killBrowserLeftovers(t, profile) })
	runConformanceClient(t, "chromium", func(base string) []string {
		page := "http://" + strings.TrimPrefix(base, "ws://") + "/testee.html?agent=chromium"
		return []string{"node", filepath.Join(nodeDir, "chromium-driver.js"), page, profile,
			strconv.FormatInt((conformanceTimeout - time.Minute).Milliseconds(), 10)}
	}, os.Environ(), http.FileServer(http.Dir("browser")), chromiumDeviations, chromiumCases())
}

// chromiumVolume are the cases Chromium does not run: the largest of the
// volume categories, a thousand compressed messages of 64 or 128 KiB
// each (12.x.9, .10 and .14 to .18), the 128 KiB ones of 13.x.4 and
// 13.x.5, and 9.x.4 to 9.x.6 (1 to 16 MiB). In Chromium they took 100 of
// its 146 seconds (the page's JavaScript echoing every message), which
// the suite's 15-minute budget cannot carry; Node's and Python's clients
// and fastws's own run every one of them, and Chromium still runs every
// other case of categories 9, 12 and 13 (compressed messages up to
// 32 KiB, in one frame and in fragments, every window and context
// setting) and the deflate echo list (deflate_chromium_test.go), whose
// compressed messages go up to 1 MiB.
const chromiumVolume = "9.*.4,9.*.5,9.*.6,12.*.9,12.*.10,12.*.14,12.*.15,12.*.16,12.*.17,12.*.18,13.*.4,13.*.5"

func chromiumCases() []*conformance.Case {
	return conformance.Select(conformance.Cases(conformance.ClientMode), "*", chromiumVolume)
}

// chromiumDeviations are the cases Chromium fails, and why. Its WebSocket
// answers a close frame carrying a code that may not appear on the wire
// (0, 999, 1004, 1016, 1100, 2000, 2999, 5000, 65535) by echoing that code
// in its own close frame, itself sending what RFC 6455 section 7.4 does not
// allow; it refuses only 1005, 1006 and 1015 (with 1002). The Autobahn
// testsuite judges the same behaviour WRONG CODE in its cases 7.9.x. The
// test requires exactly these to fail, so a Chromium that fixes them (or
// breaks something else) is noticed.
var chromiumDeviations = map[string]string{
	"7.9.1": "echoes close code 0", "7.9.2": "echoes close code 999", "7.9.3": "echoes close code 1004",
	"7.9.6": "echoes close code 1016", "7.9.7": "echoes close code 1100", "7.9.8": "echoes close code 2000",
	"7.9.9": "echoes close code 2999", "7.13.1": "echoes close code 5000", "7.13.2": "echoes close code 65535",
}

func runConformanceServer(t *testing.T, url, agent string, deviations map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), conformanceTimeout)
	defer cancel()
	rep, err := conformance.RunServer(ctx, conformance.ServerConfig{
		URL: url + "/", Agent: agent, Cases: conformance.Cases(conformance.ServerMode), TimeScale: testtime.Scale(),
	})
	if err != nil {
		t.Fatal(err)
	}
	checkConformance(t, rep, deviations)
}

// runConformanceClient serves the suite's client mode on 127.0.0.1, runs
// the peer's testee client against it (argv built from the suite's base
// URL), and checks the report. pages, when set, serves the files a browser
// testee loads from the same server; deviations are the cases the peer is
// known to fail; cases, when set, are the ones it runs (else every one).
func runConformanceClient(t *testing.T, agent string, argv func(base string) []string, env []string, pages http.Handler, deviations map[string]string, cases []*conformance.Case) {
	t.Helper()
	all := conformance.Cases(conformance.ClientMode)
	if cases == nil {
		cases = all
	} else {
		t.Logf("%s runs %d of the %d cases (the others are left out: see its test)", agent, len(cases), len(all))
	}
	reports := make(chan *conformance.Report, 1)
	suite := &conformance.ClientSuite{
		Cases:     cases,
		TimeScale: testtime.Scale(),
		OnReport:  func(r *conformance.Report) { reports <- r },
	}
	handler := http.Handler(suite)
	if pages != nil {
		mux := http.NewServeMux()
		mux.Handle("/getCaseCount", suite)
		mux.Handle("/runCase", suite)
		mux.Handle("/updateReports", suite)
		mux.Handle("/", pages)
		handler = mux
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p := startPeer(t, conformanceTimeout, env, newLineWriter(), argv("ws://"+ln.Addr().String())...)
	select {
	case rep := <-reports:
		checkConformance(t, rep, deviations)
	case <-p.done:
		select {
		case rep := <-reports:
			checkConformance(t, rep, deviations)
		default:
			t.Fatalf("%s ended (%v) without asking for its reports; stderr:\n%s", p.name, p.waitErr, p.stderr.String())
		}
	}
	<-p.done
	if p.waitErr != nil {
		t.Errorf("%s: %v", p.name, p.waitErr)
	}
}

// checkConformance fails the test for any FAILED case that is not a known
// deviation of the peer, and for a known deviation that no longer fails;
// it logs the summary and writes the reports where
// FASTWS_CONFORMANCE_REPORTS says.
func checkConformance(t *testing.T, rep *conformance.Report, deviations map[string]string) {
	t.Helper()
	var sb strings.Builder
	rep.WriteSummary(&sb)
	t.Log("\n" + sb.String())
	if dir := os.Getenv("FASTWS_CONFORMANCE_REPORTS"); dir != "" {
		if _, _, err := rep.WriteFiles(dir); err != nil {
			t.Error(err)
		}
	}
	for _, r := range rep.Results() {
		why, known := deviations[r.ID]
		switch {
		case r.Result == conformance.Failed && !known:
			t.Errorf("%s: case %s FAILED (behavior %s, close %s): %v", rep.Agent, r.ID, r.Behavior, r.BehaviorClose, r.Observed.Notes)
		case r.Result != conformance.Failed && known:
			t.Errorf("%s: case %s is listed as a known deviation (%s) but now gives %s: update the list", rep.Agent, r.ID, why, r.Result)
		case known:
			t.Logf("%s: case %s FAILED as known: %s", rep.Agent, r.ID, why)
		}
	}
}
