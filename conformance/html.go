package conformance

import (
	_ "embed"
	"html/template"
	"io"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"class": func(v Verdict) string { return strings.ToLower(strings.ReplaceAll(string(v), " ", "-")) },
	"join":  func(s []string) string { return strings.Join(s, "\n") },
}).Parse(reportTemplate))

type categoryRow struct {
	ID, Name string
	Total    int
	Counts   map[Verdict]int
}

// WriteHTML writes the report as one self-contained page: a summary by
// category and every case with its evidence.
func (r *Report) WriteHTML(w io.Writer) error {
	results := r.Results()
	var rows []categoryRow
	for _, cat := range r.categories() {
		row := categoryRow{ID: cat, Name: Categories[cat], Counts: map[Verdict]int{}}
		for _, res := range results {
			if category(res.ID) == cat {
				row.Total++
				row.Counts[res.Result]++
			}
		}
		rows = append(rows, row)
	}
	verdicts := []Verdict{OK, NonStrict, Informational, Unimplemented, Failed}
	if r.Counts()[NotApplicable] > 0 {
		verdicts = append(verdicts, NotApplicable)
	}
	return reportPage.Execute(w, map[string]any{
		"Agent":      r.Agent,
		"Mode":       r.testee(),
		"Started":    r.Started.UTC().Format(time.RFC3339),
		"Summary":    r.SummaryLine(),
		"Failed":     r.Failed(),
		"Categories": rows,
		"Verdicts":   verdicts,
		"Results":    results,
	})
}
