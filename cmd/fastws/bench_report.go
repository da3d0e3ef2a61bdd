package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/fastws/fastws/internal/loadgen"
)

// benchReport is everything a run of fastws bench measured: what -json
// writes, and what the table shows.
type benchReport struct {
	URL         string  `json:"url"`
	Connections int     `json:"connections"`      // asked for
	Open        int     `json:"connections_open"` // still open at the end
	Loop        string  `json:"loop"`             // closed, or open at rate
	Rate        float64 `json:"rate,omitempty"`   // open loop: messages/s asked for
	Sizes       string  `json:"sizes"`
	Type        string  `json:"type"` // text or binary
	Extensions  string  `json:"extensions,omitempty"`

	WarmupSeconds float64 `json:"warmup_seconds"`
	WindowSeconds float64 `json:"window_seconds"`

	Messages       uint64  `json:"messages"`
	MessagesPerSec float64 `json:"messages_per_second"`
	Mismatches     uint64  `json:"mismatches"`
	Behind         uint64  `json:"behind_schedule,omitempty"` // open loop: sends due but not made at the end

	PayloadBytes  uint64 `json:"payload_bytes"`  // of the messages measured, each way
	SentBytes     uint64 `json:"sent_bytes"`     // on the wire, frames included
	ReceivedBytes uint64 `json:"received_bytes"` // on the wire, frames included

	LatencyMicros map[string]float64 `json:"latency_us"` // p50, p90, p99, p99.9, max
	Histogram     []histogramBin     `json:"histogram"`

	Errors map[string]uint64 `json:"errors,omitempty"` // by kind

	GeneratorCPUSeconds    float64 `json:"generator_cpu_seconds"`
	GeneratorCPUPerMessage float64 `json:"generator_cpu_us_per_message"`
}

// histogramBin counts the latencies in [FromMicros, ToMicros).
type histogramBin struct {
	FromMicros float64 `json:"from_us"`
	ToMicros   float64 `json:"to_us"`
	Count      uint64  `json:"count"`
}

// percentiles are those the report gives, in order.
var percentiles = []struct {
	name string
	q    float64
}{{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1}}

func newBenchReport(f *benchFlags, ext string, p loadgen.Progress, w loadgen.Wire, window, cpu time.Duration) *benchReport {
	r := &benchReport{
		URL: f.url, Connections: f.conns, Open: p.Open, Loop: "closed", Sizes: f.sizes.String(),
		Type: "text", Extensions: ext,
		WarmupSeconds: f.warmup.Seconds(), WindowSeconds: window.Seconds(),
		Messages: p.Messages, Mismatches: p.Mismatches, Behind: p.Behind,
		PayloadBytes: w.Payload, SentBytes: w.Sent, ReceivedBytes: w.Received,
		LatencyMicros: map[string]float64{}, Errors: p.Errors,
		GeneratorCPUSeconds: cpu.Seconds(),
	}
	if f.rate > 0 {
		r.Loop, r.Rate = "open", f.rate
	}
	if f.binary && !f.compress {
		r.Type = "binary"
	}
	if window > 0 {
		r.MessagesPerSec = float64(p.Messages) / window.Seconds()
	}
	if p.Messages > 0 {
		r.GeneratorCPUPerMessage = float64(cpu.Microseconds()) / float64(p.Messages)
	}
	for _, pc := range percentiles {
		r.LatencyMicros[pc.name] = micros(p.Latency.Quantile(pc.q))
	}
	r.Histogram = binsOf(&p.Latency)
	return r
}

func (r *benchReport) addError(kind, what string) {
	if r.Errors == nil {
		r.Errors = map[string]uint64{}
	}
	r.Errors[kind+": "+what]++
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// binsOf groups the histogram's fine buckets into bins half a power of
// two wide (×1.41 each), few enough for a terminal.
func binsOf(h *loadgen.Histogram) []histogramBin {
	var bins []histogramBin
	h.Each(func(d time.Duration, n uint64) {
		lo, hi := binOf(d)
		if k := len(bins); k > 0 && bins[k-1].FromMicros == micros(lo) {
			bins[k-1].Count += n
			return
		}
		bins = append(bins, histogramBin{FromMicros: micros(lo), ToMicros: micros(hi), Count: n})
	})
	return bins
}

// binOf is the bin holding d: [2^e, 1.5 × 2^e) or [1.5 × 2^e, 2^(e+1)).
func binOf(d time.Duration) (lo, hi time.Duration) {
	ns := uint64(max(d, 1))
	e := bits.Len64(ns) - 1
	if e < 1 {
		return time.Duration(ns), time.Duration(ns + 1)
	}
	half := uint64(1) << (e - 1)
	start := ns &^ (half - 1)
	return time.Duration(start), time.Duration(start + half)
}

// write prints the report: a table, then the latency histogram.
func (r *benchReport) write(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	load := fmt.Sprintf("%d connections, closed loop", r.Connections)
	if r.Loop == "open" {
		load = fmt.Sprintf("%d connections, open loop at %.0f messages/s", r.Connections, r.Rate)
	}
	msgs := fmt.Sprintf("%s %s messages", r.Sizes, r.Type)
	if r.Extensions != "" {
		msgs += ", " + r.Extensions
	}
	fmt.Fprintf(tw, "target\t%s\n", r.URL)
	fmt.Fprintf(tw, "load\t%s; %s\n", load, msgs)
	fmt.Fprintf(tw, "window\t%.1f s, after %.1f s of warm-up; %d connections open at the end\n", r.WindowSeconds, r.WarmupSeconds, r.Open)
	fmt.Fprintf(tw, "messages\t%s echoed, %s/s; %s\n", commas(r.Messages), commas(uint64(r.MessagesPerSec+0.5)), mismatchText(r.Mismatches))
	if r.WindowSeconds > 0 {
		fmt.Fprintf(tw, "throughput\t%.1f MiB/s of payload each way (%.1f MiB/s sent, %.1f MiB/s received on the wire)\n",
			float64(r.PayloadBytes)/r.WindowSeconds/(1<<20), float64(r.SentBytes)/r.WindowSeconds/(1<<20), float64(r.ReceivedBytes)/r.WindowSeconds/(1<<20))
	}
	var lat []string
	for _, pc := range percentiles {
		lat = append(lat, pc.name+" "+roundDuration(time.Duration(r.LatencyMicros[pc.name]*1e3)).String())
	}
	fmt.Fprintf(tw, "latency\t%s\n", strings.Join(lat, "  "))
	if r.Behind > 0 {
		fmt.Fprintf(tw, "behind\t%s sends were due and not made at the end: the server did not keep up with -rate\n", commas(r.Behind))
	}
	fmt.Fprintf(tw, "generator\t%.2f µs of CPU per message (this process, %.2f s over the window)\n", r.GeneratorCPUPerMessage, r.GeneratorCPUSeconds)
	fmt.Fprintf(tw, "errors\t%s\n", errorsText(r.Errors))
	tw.Flush()
	if len(r.Histogram) > 0 {
		fmt.Fprintln(w)
		writeHistogram(w, r.Histogram)
	}
}

func mismatchText(n uint64) string {
	if n == 0 {
		return "every echo identical to the message sent"
	}
	return fmt.Sprintf("%s echoes DIFFERED from the message sent", commas(n))
}

func errorsText(errs map[string]uint64) string {
	if len(errs) == 0 {
		return "none"
	}
	kinds := slices.Sorted(func(yield func(string) bool) {
		for k := range errs {
			if !yield(k) {
				return
			}
		}
	})
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s: %s", k, commas(errs[k])))
	}
	return strings.Join(parts, ", ")
}

// writeHistogram draws the bins as bars, the longest 40 wide, with each
// bin's share and the running total.
func writeHistogram(w io.Writer, bins []histogramBin) {
	var total, most uint64
	for _, b := range bins {
		total += b.Count
		most = max(most, b.Count)
	}
	fmt.Fprintln(w, "latency histogram")
	var seen uint64
	for _, b := range bins {
		seen += b.Count
		bar := strings.Repeat("#", int((b.Count*40+most-1)/most))
		fmt.Fprintf(w, "  %9s - %-9s %-40s %5.1f%%  %6.2f%%\n",
			roundDuration(time.Duration(b.FromMicros*1e3)), roundDuration(time.Duration(b.ToMicros*1e3)),
			bar, 100*float64(b.Count)/float64(total), 100*float64(seen)/float64(total))
	}
}

// commas writes n with thousands separators.
func commas(n uint64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (r *benchReport) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("-json: %v", innermost(err))
	}
	return nil
}
