package conformance

import (
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Mode says which kind of testee a case applies to.
type Mode uint8

// The modes. A case may apply to both.
const (
	ServerMode Mode = 1 << iota // the testee is a server; the suite connects to it
	ClientMode                  // the testee is a client; the suite accepts it
	BothModes  = ServerMode | ClientMode
)

// Case is one conformance case.
type Case struct {
	ID          string // dotted, e.g. "6.4.3"; unique and stable
	Description string // what the suite does
	Expectation string // what a conforming testee does, and why
	Modes       Mode
	// Serial cases measure time and run alone, never beside other cases.
	Serial bool
	// Timeout bounds the case; 0 means the runner's default.
	Timeout time.Duration

	// Run plays the case on an open connection: it states the expected
	// outcome and sends. The runner then waits for the connection to end.
	Run func(s *Session)
	// Judge, when set, adjusts the verdicts after the connection ended
	// (for example to make a behaviour the RFC leaves open INFORMATIONAL).
	Judge func(s *Session, r *Result)

	// Deflate, set on the permessage-deflate cases, is what the suite
	// offers a testee server or answers a testee client.
	Deflate *DeflateTerms

	// Handshake plays an opening-handshake case instead of Run: with the
	// testee server before any WebSocket exists (server mode), or by
	// answering the testee client's request (client mode).
	Handshake func(h *HandshakeProbe) (Verdict, string)
}

// Category returns the case's first id component, e.g. "6" for "6.4.3".
func (c *Case) Category() string {
	cat, _, _ := strings.Cut(c.ID, ".")
	return cat
}

// Categories names each category of the catalogue.
var Categories = map[string]string{
	"1":  "Framing",
	"2":  "Pings and pongs",
	"3":  "Reserved bits",
	"4":  "Opcodes",
	"5":  "Fragmentation",
	"6":  "UTF-8 handling",
	"7":  "Close handling",
	"9":  "Limits and performance",
	"10": "Miscellaneous",
	"11": "Opening handshake",
	"12": "permessage-deflate: message sizes",
	"13": "permessage-deflate: parameters",
}

var catalogue []*Case

// register adds cases to the catalogue; each cases_*.go file calls it.
func register(cs ...*Case) { catalogue = append(catalogue, cs...) }

// Cases returns the catalogue's cases for mode, in id order.
func Cases(mode Mode) []*Case {
	var out []*Case
	for _, c := range catalogue {
		if c.Modes&mode != 0 {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].ID, out[j].ID) })
	return out
}

// idLess orders ids numerically component by component.
func idLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, _ := strconv.Atoi(as[i])
		y, _ := strconv.Atoi(bs[i])
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// Select keeps the cases whose id matches one of the comma-separated
// patterns (path.Match syntax: "6.*" matches "6.4.3", "1.1.?" matches
// "1.1.8", "*" matches everything) and none of the exclude patterns.
func Select(cases []*Case, patterns, exclude string) []*Case {
	var out []*Case
	for _, c := range cases {
		if matchAny(patterns, c.ID, true) && !matchAny(exclude, c.ID, false) {
			out = append(out, c)
		}
	}
	return out
}

func matchAny(patterns, id string, empty bool) bool {
	if strings.TrimSpace(patterns) == "" {
		return empty
	}
	for _, p := range strings.Split(patterns, ",") {
		p = strings.TrimSpace(p)
		// "6.*" should match "6.4.3": a trailing ".*" covers every depth.
		if strings.HasSuffix(p, ".*") && strings.HasPrefix(id, strings.TrimSuffix(p, "*")) {
			return true
		}
		if ok, _ := path.Match(p, id); ok {
			return true
		}
	}
	return false
}
