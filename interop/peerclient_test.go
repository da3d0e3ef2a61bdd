package interop

import (
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// clientReport is what a client script (or the browser page) prints: one
// result per item of its echo list and, when it runs the deflate list, what
// each of its connections negotiated.
type clientReport struct {
	Peer        string            `json:"peer"`
	Results     []itemResult      `json:"results"`
	Connections []peerNegotiation `json:"connections"`
}

type itemResult struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// runPeerClient runs a client script to its end (at most timeout) and
// returns its report. A script that ends without a report fails the test.
func runPeerClient(t *testing.T, timeout time.Duration, env []string, argv ...string) (clientReport, error) {
	t.Helper()
	out := newLineWriter()
	p := startPeer(t, timeout, env, out, argv...)
	<-p.done
	lines := out.all()
	var rep clientReport
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "{") {
			if err := json.Unmarshal([]byte(lines[i]), &rep); err != nil {
				t.Fatalf("%s printed a report that is not JSON: %v\n%s", p.name, err, lines[i])
			}
			break
		}
	}
	if rep.Results == nil {
		t.Fatalf("%s ended (%v) without a report; stdout:\n%s\nstderr:\n%s",
			p.name, p.waitErr, strings.Join(lines, "\n"), p.stderr.String())
	}
	return rep, p.waitErr
}

// checkClientReport checks a client's report item by item, one subtest
// per item of want (in order), and that the client's exit status agrees
// with its results.
func checkClientReport(t *testing.T, rep clientReport, exitErr error, want []string) {
	t.Helper()
	failed := checkReportItems(t, rep, want)
	var ee *exec.ExitError
	switch {
	case failed && exitErr == nil:
		t.Errorf("the client reported failures but exited 0")
	case !failed && exitErr != nil:
		t.Errorf("the client reported no failure but ended with %v", exitErr)
	case exitErr != nil && !errors.As(exitErr, &ee):
		t.Errorf("the client did not end by itself: %v", exitErr)
	}
}

// checkReportItems is checkClientReport without the exit status; it says
// whether the report has failures.
func checkReportItems(t *testing.T, rep clientReport, want []string) (failed bool) {
	t.Helper()
	t.Logf("peer: %s", rep.Peer)
	for _, r := range rep.Results {
		failed = failed || !r.Pass
		if !slices.Contains(want, r.Name) {
			t.Errorf("unexpected item %q in the report: pass=%v: %s", r.Name, r.Pass, r.Detail)
		}
	}
	for _, name := range want {
		i := slices.IndexFunc(rep.Results, func(r itemResult) bool { return r.Name == name })
		t.Run(name, func(t *testing.T) {
			switch {
			case i < 0:
				t.Errorf("%s did not run %s", rep.Peer, name)
			case !rep.Results[i].Pass:
				t.Errorf("%s: %s", rep.Peer, rep.Results[i].Detail)
			default:
				t.Log(rep.Results[i].Detail)
			}
		})
	}
	return failed
}
