package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/fastws/fastws/conformance"
)

// writeReport writes rep's JSON and HTML reports and its text summary
// (<agent>-<mode>.json, .html and .txt) to dir.
func writeReport(dir string, rep *conformance.Report) error {
	jsonPath, _, err := rep.WriteFiles(dir)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	rep.WriteSummary(&b)
	return os.WriteFile(strings.TrimSuffix(jsonPath, ".json")+".txt", b.Bytes(), 0o644)
}

// verdicts are the columns of the overview's table.
var verdicts = []conformance.Verdict{
	conformance.OK, conformance.NonStrict, conformance.Informational, conformance.Unimplemented, conformance.Failed,
}

// writeOverview writes dir/summary.md: the count of each result per
// testee, then every case whose result is not OK with its verdicts, the
// close code the testee sent and the suite's last note.
func writeOverview(dir string, reports []*conformance.Report) error {
	var b bytes.Buffer
	fmt.Fprintln(&b, "# Peer conformance: results per testee")
	fmt.Fprintln(&b)
	fmt.Fprintln(&b, "Written by `go run ./conformance/cmd/peerconformance`; see ../RESULTS.md for the analysis.")
	fmt.Fprintln(&b)
	fmt.Fprint(&b, "| testee | cases |")
	for _, v := range verdicts {
		fmt.Fprintf(&b, " %s |", v)
	}
	fmt.Fprint(&b, "\n|---|---|")
	for range verdicts {
		fmt.Fprint(&b, "---|")
	}
	fmt.Fprintln(&b)
	for _, rep := range reports {
		counts := rep.Counts()
		fmt.Fprintf(&b, "| %s-%s | %d |", rep.Agent, rep.Mode, len(rep.Results()))
		for _, v := range verdicts {
			fmt.Fprintf(&b, " %d |", counts[v])
		}
		fmt.Fprintln(&b)
	}
	for _, rep := range reports {
		fmt.Fprintf(&b, "\n## %s-%s: cases not OK\n\n", rep.Agent, rep.Mode)
		fmt.Fprintln(&b, "| case | result | behavior | close | testee's close code | last note |")
		fmt.Fprintln(&b, "|---|---|---|---|---|---|")
		for _, r := range rep.Results() {
			if r.Result == conformance.OK {
				continue
			}
			code := "none"
			if r.RemoteCloseCode != nil {
				code = fmt.Sprint(*r.RemoteCloseCode)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", r.ID, r.Result, r.Behavior, r.BehaviorClose, code, lastNote(r))
		}
	}
	return os.WriteFile(filepath.Join(dir, "summary.md"), b.Bytes(), 0o644)
}

func lastNote(r *conformance.Result) string {
	if len(r.Observed.Notes) == 0 {
		return ""
	}
	return strings.ReplaceAll(r.Observed.Notes[len(r.Observed.Notes)-1], "|", `\|`)
}
