package conformance

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Report is the outcome of one run for one agent.
type Report struct {
	Agent   string
	Mode    string // "server" or "client": what kind of testee
	Started time.Time
	// HTTP2 says the run opened its WebSockets over HTTP/2 (RFC 8441,
	// ServerConfig.HTTP2).
	HTTP2 bool

	mu      sync.Mutex
	results map[string]*Result
}

func newReport(agent, mode string) *Report {
	return &Report{Agent: agent, Mode: mode, Started: time.Now(), results: map[string]*Result{}}
}

func (r *Report) add(res *Result) {
	r.mu.Lock()
	r.results[res.ID] = res
	r.mu.Unlock()
}

// Results returns the results in case id order.
func (r *Report) Results() []*Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*Result, 0, len(r.results))
	for _, res := range r.results {
		out = append(out, res)
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].ID, out[j].ID) })
	return out
}

// Counts returns how many cases ended with each result.
func (r *Report) Counts() map[Verdict]int {
	counts := map[Verdict]int{}
	for _, res := range r.Results() {
		counts[res.Result]++
	}
	return counts
}

// Failed reports how many cases failed.
func (r *Report) Failed() int { return r.Counts()[Failed] }

// WriteJSON writes the report in the documented shape (see the package
// documentation), keyed by agent then case id.
func (r *Report) WriteJSON(w io.Writer) error {
	byID := map[string]*Result{}
	for _, res := range r.Results() {
		byID[res.ID] = res
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]map[string]*Result{r.Agent: byID})
}

// SummaryLine is the last line of every summary: N passed, N failed, with
// the passed cases broken down by verdict, then the cases that were not
// played (NOT APPLICABLE), when there are any: neither passed nor failed.
func (r *Report) SummaryLine() string {
	c := r.Counts()
	passed := c[OK] + c[NonStrict] + c[Informational] + c[Unimplemented]
	line := fmt.Sprintf("%d passed, %d failed (OK %d, NON-STRICT %d, INFORMATIONAL %d, UNIMPLEMENTED %d)",
		passed, c[Failed], c[OK], c[NonStrict], c[Informational], c[Unimplemented])
	if n := c[NotApplicable]; n > 0 {
		line += fmt.Sprintf(", %d not applicable", n)
	}
	return line
}

// testee is what the run tested, for the summary's first line: "server",
// or "server over HTTP/2".
func (r *Report) testee() string {
	if r.HTTP2 {
		return r.Mode + " over HTTP/2"
	}
	return r.Mode
}

// WriteSummary writes a terse text summary: one line per category, one
// line per case that did not pass cleanly, and the summary line last.
func (r *Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "%s (testee %s), %s\n", r.Agent, r.testee(), casesText(len(r.Results())))
	for _, cat := range r.categories() {
		c := map[Verdict]int{}
		n := 0
		for _, res := range r.Results() {
			if category(res.ID) == cat {
				c[res.Result]++
				n++
			}
		}
		fmt.Fprintf(w, "  %-3s %-40s %10s: %s\n", cat, Categories[cat], casesText(n), countsText(c))
	}
	for _, res := range r.Results() {
		if res.Result == Failed || res.Result == NonStrict {
			fmt.Fprintf(w, "  %-8s %s (behavior %s, close %s)%s\n", res.ID, res.Result, res.Behavior, res.BehaviorClose, lastNote(res))
		}
	}
	fmt.Fprintln(w, r.SummaryLine())
}

// lastNote is the case's conclusion: notes are added as the evidence is
// weighed, the deciding one last.
func lastNote(res *Result) string {
	if len(res.Observed.Notes) == 0 {
		return ""
	}
	return ": " + res.Observed.Notes[len(res.Observed.Notes)-1]
}

// casesText is "1 case" or "n cases".
func casesText(n int) string {
	if n == 1 {
		return "1 case"
	}
	return fmt.Sprintf("%d cases", n)
}

func countsText(c map[Verdict]int) string {
	var parts []string
	for _, v := range []Verdict{OK, NonStrict, Informational, Unimplemented, Failed, NotApplicable} {
		if c[v] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", v, c[v]))
		}
	}
	return strings.Join(parts, ", ")
}

func category(id string) string {
	cat, _, _ := strings.Cut(id, ".")
	return cat
}

func (r *Report) categories() []string {
	seen := map[string]bool{}
	var cats []string
	for _, res := range r.Results() {
		if c := category(res.ID); !seen[c] {
			seen[c] = true
			cats = append(cats, c)
		}
	}
	sort.Slice(cats, func(i, j int) bool { return idLess(cats[i], cats[j]) })
	return cats
}

// WriteFiles writes the report as dir/<agent>-<mode>.json and .html.
func (r *Report) WriteFiles(dir string) (jsonPath, htmlPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	base := filepath.Join(dir, safeName(r.Agent)+"-"+r.Mode)
	jsonPath, htmlPath = base+".json", base+".html"
	for path, write := range map[string]func(io.Writer) error{jsonPath: r.WriteJSON, htmlPath: r.WriteHTML} {
		f, err := os.Create(path)
		if err != nil {
			return "", "", err
		}
		werr := write(f)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", "", werr
		}
	}
	return jsonPath, htmlPath, nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, s)
}
