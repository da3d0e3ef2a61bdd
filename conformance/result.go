package conformance

import (
	"fmt"
	"time"
)

// Result is what running one case found.
type Result struct {
	ID                string   `json:"-"`
	Behavior          Verdict  `json:"behavior"`
	BehaviorClose     Verdict  `json:"behaviorClose"`
	Result            Verdict  `json:"result"`
	Duration          int64    `json:"duration"` // milliseconds
	RemoteCloseCode   *int     `json:"remoteCloseCode"`
	RemoteCloseReason string   `json:"remoteCloseReason"`
	Description       string   `json:"description"`
	Expectation       string   `json:"expectation"`
	Observed          Observed `json:"observed"`
}

// Observed is the evidence behind a verdict.
type Observed struct {
	Events         []eventJSON            `json:"events"`
	EventTimes     []int64                `json:"eventTimesMs,omitempty"`
	Expected       map[string][]eventJSON `json:"expected,omitempty"`
	ClosedBySuite  bool                   `json:"closedBySuite"`
	DroppedBySuite bool                   `json:"droppedBySuite"`
	WasClean       bool                   `json:"wasClean"`
	Violation      string                 `json:"violation,omitempty"`
	Notes          []string               `json:"notes,omitempty"`
}

// evaluate judges a finished session against what its case expected.
func evaluate(c *Case, s *Session, elapsed time.Duration) *Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &Result{
		ID:                c.ID,
		Behavior:          Failed,
		Duration:          elapsed.Milliseconds(),
		RemoteCloseCode:   s.remoteCode,
		RemoteCloseReason: s.remoteReason,
		Description:       c.Description,
		Expectation:       c.Expectation,
	}
	o := &r.Observed
	o.ClosedBySuite, o.DroppedBySuite = s.closedBySuite, s.droppedBySuite
	o.WasClean = s.closeSent && s.closeRecvd
	o.Violation = s.violation
	o.Notes = append(o.Notes, s.notes...)
	o.Events, o.EventTimes = collapse(s.received, s.times)
	o.Expected = map[string][]eventJSON{}
	for v, evs := range s.expected {
		o.Expected[string(v)], _ = collapse(evs, nil)
	}
	// The strictest outcome that matches wins.
	for _, v := range []Verdict{OK, NonStrict, Informational} {
		if exp, ok := s.expected[v]; ok && eventsEqual(s.received, exp) {
			r.Behavior = v
			break
		}
	}
	ec := s.expectClose
	switch {
	case ec.BySuite != s.closedBySuite:
		r.BehaviorClose = Failed
		if s.closedBySuite {
			o.Notes = append(o.Notes, "the suite had to begin the close; the testee should have failed the connection")
		} else {
			o.Notes = append(o.Notes, "the testee began the close (or dropped the connection) where the suite should have")
		}
	case !ec.BySuite && !s.closeRecvd && s.killed:
		r.BehaviorClose = Failed
		o.Notes = append(o.Notes, "the testee did not fail the connection: no close frame, and the connection stayed open until the suite gave up")
	case ec.RequireClean && !o.WasClean:
		r.BehaviorClose = Unclean
		o.Notes = append(o.Notes, "the closing handshake did not complete")
	case s.remoteCode != nil && containsInt(ec.LaxCodes, *s.remoteCode):
		r.BehaviorClose = OK
		if r.Behavior == OK {
			r.Behavior = NonStrict
		}
		o.Notes = append(o.Notes, fmt.Sprintf("closed with code %d where %v is expected: right to close, less precise code", *s.remoteCode, ec.Codes))
	case s.remoteCode != nil && !containsInt(ec.Codes, *s.remoteCode):
		r.BehaviorClose = WrongCode
		o.Notes = append(o.Notes, fmt.Sprintf("close code %d; expected %v", *s.remoteCode, ec.Codes))
	case s.client && s.droppedBySuite:
		r.BehaviorClose = FailedByClient
		o.Notes = append(o.Notes, "the server should close the TCP connection, not the client")
	default:
		r.BehaviorClose = OK
	}
	if s.deflate != nil {
		o.Notes = append([]string{"negotiated " + s.deflate.agreed}, o.Notes...)
	}
	if s.unimplemented != "" && s.violation == "" {
		r.Behavior = Unimplemented
		o.Notes = append(o.Notes, s.unimplemented)
	}
	if s.violation != "" {
		r.Behavior = Failed
		o.Notes = append(o.Notes, "protocol violation by the testee: "+s.violation)
	}
	return r
}

func containsInt(list []int, x int) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}

// collapse turns events into their report form, with runs of equal events
// (a thousand echoes of the same message) written once with a count.
// times, when given, keeps the arrival time of each run's first event.
func collapse(evs []Event, times []time.Duration) ([]eventJSON, []int64) {
	out := []eventJSON{}
	var ms []int64
	for i := 0; i < len(evs); {
		j := i + 1
		for j < len(evs) && evs[j].equal(evs[i]) {
			j++
		}
		ej := evs[i].json()
		if j-i > 1 {
			ej.Repeat = j - i
		}
		out = append(out, ej)
		if times != nil {
			ms = append(ms, times[i].Milliseconds())
		}
		i = j
	}
	return out, ms
}
