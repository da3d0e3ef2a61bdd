package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// The opening-handshake cases (category 11) over HTTP/2. Their requests
// are raw HTTP/1.1 text, which cannot travel on an HTTP/2 stream: the
// HTTP/2 form of a WebSocket handshake is an extended CONNECT (RFC 8441
// section 4), with :protocol in place of Upgrade and Connection and
// without Sec-WebSocket-Key and Sec-WebSocket-Accept (section 5).
// Sec-WebSocket-Version, -Protocol and -Extensions keep their meaning.
// So each server-mode case has here either its HTTP/2 form, played
// instead of it, or the reason it has none; a test checks that every
// case has one or the other.

// h2Handshake is the HTTP/2 form of an opening-handshake case.
type h2Handshake struct {
	description, expectation string
	run                      func(p *h2Probe) (Verdict, string)
	// notApplicable, when set, says why the case has no HTTP/2 form: it
	// is reported NOT APPLICABLE with this reason.
	notApplicable string
}

// h2Handshakes are the HTTP/2 forms of the server-mode opening-handshake
// cases, by case id.
var h2Handshakes = map[string]h2Handshake{
	"11.1.1": {
		description: "Send a valid extended CONNECT: :protocol websocket, Sec-WebSocket-Version: 13 (RFC 8441 sections 4 and 5).",
		expectation: "A 2xx answer (200): the stream is the WebSocket. HTTP/2 has no Sec-WebSocket-Accept to check (RFC 8441 section 5).",
		run: func(p *h2Probe) (Verdict, string) {
			a, err := p.connect("websocket", nil, nil)
			switch {
			case err != nil:
				return Failed, "could not send the request: " + err.Error()
			case a.reset != nil:
				return Failed, "no response; the stream was reset: " + a.reset.Error()
			case a.StatusCode/100 != 2:
				return Failed, "answered " + a.Status
			}
			return OK, "answered " + a.Status
		},
	},
	"11.1.2": {notApplicable: "the case tests how the Upgrade and Connection header values are matched, and HTTP/2 has neither header: " +
		"the extended CONNECT's :protocol replaces them (RFC 8441 section 4) and a request carrying Connection is malformed (RFC 9113 section 8.2.2)"},
	"11.1.3": {notApplicable: "the case lists several protocols in the Upgrade header; HTTP/2 has no Upgrade header and :protocol names exactly one protocol (RFC 8441 section 4)"},
	"11.2.1": {notApplicable: "over HTTP/2 there is no Sec-WebSocket-Key to leave out: RFC 8441 section 5 replaces the key and Sec-WebSocket-Accept exchange by :protocol"},
	"11.2.2": {notApplicable: "over HTTP/2 there is no Sec-WebSocket-Key to get wrong: RFC 8441 section 5 replaces the key and Sec-WebSocket-Accept exchange by :protocol"},
	"11.2.3": {
		description: "Send an extended CONNECT with Sec-WebSocket-Version: 99, a version no server knows.",
		expectation: "A refusal (4xx, such as 426) with a Sec-WebSocket-Version header naming the versions the server knows, 13 among them (RFC 6455 section 4.4, kept by RFC 8441 section 5). A refusal without that header, or a reset stream, is NON-STRICT.",
		run: func(p *h2Probe) (Verdict, string) {
			a, err := p.connect("websocket", nil, func(h http.Header) { h.Set("Sec-WebSocket-Version", "99") })
			switch {
			case err != nil:
				return Failed, "could not send the request: " + err.Error()
			case a.reset != nil:
				return NonStrict, "no response; the stream was reset: " + a.reset.Error()
			case a.StatusCode/100 == 2:
				return Failed, "accepted version 99: " + a.Status
			case a.StatusCode/100 == 4 && headerHas(a.Header, "Sec-WebSocket-Version", "13"):
				return OK, "answered " + a.Status + " with Sec-WebSocket-Version: " + strings.Join(a.Header.Values("Sec-WebSocket-Version"), ", ")
			case a.StatusCode/100 == 4:
				return NonStrict, "answered " + a.Status + " without a Sec-WebSocket-Version header naming 13"
			}
			return Failed, "answered " + a.Status
		},
	},
	"11.2.4": {
		description: "Send an extended CONNECT without Sec-WebSocket-Version (RFC 8441 section 5 keeps it required).",
		expectation: "A refusal: 400 Bad Request, or 426 with Sec-WebSocket-Version: 13. Another 4xx, or a reset stream, is NON-STRICT.",
		run: h2Refused(func(p *h2Probe) (h2Answer, error) {
			return p.connect("websocket", nil, func(h http.Header) { h.Del("Sec-WebSocket-Version") })
		}, 400, 426),
	},
	"11.2.5": {
		description: "Send an extended CONNECT whose :protocol is not websocket (\"x-not-websocket\"): the HTTP/2 form of an Upgrade header that does not name websocket.",
		expectation: "A refusal: a 4xx, or 501 Not Implemented (a protocol the server does not implement). A reset stream is NON-STRICT; accepting the stream (2xx) fails.",
		run: func(p *h2Probe) (Verdict, string) {
			a, err := p.connect("x-not-websocket", nil, nil)
			switch {
			case err != nil:
				return Failed, "could not send the request: " + err.Error()
			case a.reset != nil:
				return NonStrict, "no response; the stream was reset: " + a.reset.Error()
			case a.StatusCode/100 == 4 || a.StatusCode == http.StatusNotImplemented:
				return OK, "answered " + a.Status
			case a.StatusCode/100 == 2:
				return Failed, "accepted a stream for another protocol: " + a.Status
			}
			return Failed, "answered " + a.Status
		},
	},
	"11.2.6": {notApplicable: "the case breaks the Connection header, which HTTP/2 does not have: a request carrying it is malformed (RFC 9113 section 8.2.2), and net/http's client does not send it"},
	"11.2.7": {
		description: "Send a POST with Sec-WebSocket-Version: 13 to the WebSocket's URL: the HTTP/2 form of the handshake with method POST (RFC 8441 section 4 allows :protocol only on CONNECT, so the request is an ordinary POST).",
		expectation: "A refusal: 400 or 405 Method Not Allowed. Another 4xx, or a reset stream, is NON-STRICT; a 2xx fails.",
		run: h2Refused(func(p *h2Probe) (h2Answer, error) {
			return p.exchange(http.MethodPost, http.Header{"Sec-Websocket-Version": {"13"}})
		}, 400, 405),
	},
	"11.3.1": {
		description: "Send a valid extended CONNECT with 64 KiB of extra headers.",
		expectation: "431 Request Header Fields Too Large, or a SETTINGS_MAX_HEADER_LIST_SIZE below the request's size, which keeps a conforming client from sending it (RFC 9113 section 6.5.2; the suite then records the announced limit as the refusal, since net/http's client will not send the request). Another 4xx, or a reset stream, is NON-STRICT. RFC 6455 sets no limit, so accepting is INFORMATIONAL.",
		run: func(p *h2Probe) (Verdict, string) {
			pad := http.Header{}
			for i := range 64 {
				pad.Set(fmt.Sprintf("X-Padding-%d", i), strings.Repeat("p", 1000))
			}
			a, err := p.connect("websocket", pad, nil)
			switch {
			case err != nil && headerListTooLarge(err):
				return OK, "not sent: the server announced a SETTINGS_MAX_HEADER_LIST_SIZE below the request's size (" + err.Error() + ")"
			case err != nil:
				return Failed, "could not send the request: " + err.Error()
			case a.reset != nil:
				return NonStrict, "no response; the stream was reset: " + a.reset.Error()
			case a.StatusCode == http.StatusRequestHeaderFieldsTooLarge:
				return OK, "answered " + a.Status
			case a.StatusCode/100 == 2:
				return Informational, "accepted 64 KiB of headers: " + a.Status
			case a.StatusCode/100 == 4:
				return NonStrict, "answered " + a.Status
			}
			return Failed, "answered " + a.Status
		},
	},
	"11.4.1": {
		description: "Offer two subprotocols the server cannot know, on an extended CONNECT.",
		expectation: "A 2xx with no Sec-WebSocket-Protocol (or one of those offered): a server selects only what was offered.",
		run: func(p *h2Probe) (Verdict, string) {
			a, err := p.connect("websocket", http.Header{"Sec-WebSocket-Protocol": {"x-unknown-a, x-unknown-b"}}, nil)
			if v, detail, done := h2Accepted(a, err); done {
				return v, detail
			}
			got := a.Header.Values("Sec-WebSocket-Protocol")
			if len(got) == 0 || len(got) == 1 && (got[0] == "x-unknown-a" || got[0] == "x-unknown-b") {
				return OK, fmt.Sprintf("selected %q", got)
			}
			return Failed, fmt.Sprintf("answered %s selecting %q", a.Status, got)
		},
	},
	"11.4.2": {
		description: "Offer an extension the server cannot know, on an extended CONNECT.",
		expectation: "A 2xx without that extension in Sec-WebSocket-Extensions: a server accepts only what was offered, and only what it implements.",
		run: func(p *h2Probe) (Verdict, string) {
			a, err := p.connect("websocket", http.Header{"Sec-WebSocket-Extensions": {"x-unknown-extension; p=1"}}, nil)
			if v, detail, done := h2Accepted(a, err); done {
				return v, detail
			}
			e := a.Header.Values("Sec-WebSocket-Extensions")
			if !strings.Contains(strings.Join(e, ","), "x-unknown-extension") {
				return OK, fmt.Sprintf("extensions %q", e)
			}
			return Failed, fmt.Sprintf("answered %s with extensions %q", a.Status, e)
		},
	},
}

// h2Refused judges a request the testee must refuse: a status in want is
// OK, another 4xx or a reset stream NON-STRICT, and anything else
// (accepting it above all) FAILED.
func h2Refused(send func(p *h2Probe) (h2Answer, error), want ...int) func(p *h2Probe) (Verdict, string) {
	return func(p *h2Probe) (Verdict, string) {
		a, err := send(p)
		switch {
		case err != nil:
			return Failed, "could not send the request: " + err.Error()
		case a.reset != nil:
			return NonStrict, "no response; the stream was reset: " + a.reset.Error()
		case a.StatusCode/100 == 2:
			return Failed, "answered " + a.Status + ": the request was accepted"
		case containsInt(want, a.StatusCode):
			return OK, "answered " + a.Status
		case a.StatusCode/100 == 4:
			return NonStrict, "answered " + a.Status + fmt.Sprintf(" (%v preferred)", want)
		}
		return Failed, "answered " + a.Status
	}
}

// h2Accepted judges the part every request the testee must accept
// shares: done says the verdict is in (the request failed or was not
// accepted).
func h2Accepted(a h2Answer, err error) (v Verdict, detail string, done bool) {
	switch {
	case err != nil:
		return Failed, "could not send the request: " + err.Error(), true
	case a.reset != nil:
		return Failed, "no response; the stream was reset: " + a.reset.Error(), true
	case a.StatusCode/100 != 2:
		return Failed, "answered " + a.Status, true
	}
	return "", "", false
}

// headerListTooLarge reports whether err is net/http's refusal to send a
// request whose header list exceeds the server's announced
// SETTINGS_MAX_HEADER_LIST_SIZE. It has no exported value, so its text
// is matched.
func headerListTooLarge(err error) bool {
	return strings.Contains(err.Error(), "header list larger than peer's advertised limit")
}

// probeH2 plays opening-handshake case c in its HTTP/2 form, or reports
// it NOT APPLICABLE with the reason it has none.
func probeH2(c *Case, t *h2Target, timeout time.Duration) *Result {
	h, ok := h2Handshakes[c.ID]
	switch {
	case h.notApplicable != "":
		return notApplicable(c, h.notApplicable)
	case !ok || h.run == nil: // TestH2HandshakeForms keeps this from happening
		return notApplicable(c, "no HTTP/2 form of this opening-handshake case is written")
	}
	start := time.Now()
	v, detail := h.run(&h2Probe{target: t, timeout: timeout})
	r := &Result{
		ID:            c.ID,
		Behavior:      v,
		BehaviorClose: OK,
		Duration:      time.Since(start).Milliseconds(),
		Description:   h.description,
		Expectation:   h.expectation,
		Observed: Observed{Notes: []string{
			"played in its HTTP/2 form (RFC 8441); over HTTP/1.1 the case is: " + c.Description,
			detail,
		}},
	}
	r.Result = overall(r.Behavior, r.BehaviorClose)
	return r
}

// notApplicable is the result of a case the run could not play, for the
// reason why (the testee is not at fault).
func notApplicable(c *Case, why string) *Result {
	return &Result{
		ID:            c.ID,
		Behavior:      NotApplicable,
		BehaviorClose: NotApplicable,
		Result:        NotApplicable,
		Description:   c.Description,
		Expectation:   c.Expectation,
		Observed:      Observed{Events: []eventJSON{}, Notes: []string{"not played over HTTP/2: " + why}},
	}
}
