package conformance

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Category 11: the opening handshake (RFC 6455 section 4), which the
// Autobahn testsuite does not cover. In server mode the suite sends
// requests, good and bad; in client mode it answers the testee's request
// with responses a client must refuse.
func init() {
	serverCase := func(id, desc, expectation string, judge func(h *HandshakeProbe) (Verdict, string)) *Case {
		return &Case{ID: id, Description: desc, Expectation: expectation, Modes: ServerMode, Handshake: judge}
	}
	// refused judges a bad request: a status in want (with header, when
	// given) is OK, another 4xx NON-STRICT, and accepting it FAILED.
	refused := func(request func(h *HandshakeProbe) string, want []int, header [2]string) func(h *HandshakeProbe) (Verdict, string) {
		return func(h *HandshakeProbe) (Verdict, string) {
			resp, _, err := h.Exchange(request(h))
			if err != nil {
				return NonStrict, "no HTTP response; the connection was closed: " + err.Error()
			}
			got := fmt.Sprintf("answered %s", resp.Status)
			wanted := containsInt(want, resp.StatusCode)
			switch {
			case resp.StatusCode == http.StatusSwitchingProtocols:
				return Failed, got + ": the request was accepted"
			case wanted && (header[0] == "" || resp.Header.Get(header[0]) == header[1]):
				return OK, got
			case wanted:
				return NonStrict, got + " without " + header[0] + ": " + header[1]
			case resp.StatusCode >= 400 && resp.StatusCode < 500:
				return NonStrict, got + fmt.Sprintf(" (%v preferred)", want)
			}
			return Failed, got
		}
	}
	valid := func(extra ...string) func(h *HandshakeProbe) string {
		return func(h *HandshakeProbe) string { r, _ := h.Valid(extra...); return r }
	}
	edit := func(old, new string, extra ...string) func(h *HandshakeProbe) string {
		return func(h *HandshakeProbe) string {
			r, _ := h.Valid(extra...)
			return strings.Replace(r, old, new, 1)
		}
	}
	without := func(header string) func(h *HandshakeProbe) string {
		return func(h *HandshakeProbe) string {
			r, _ := h.Valid()
			var kept []string
			for _, line := range strings.Split(r, "\r\n") {
				if !strings.HasPrefix(line, header+":") {
					kept = append(kept, line)
				}
			}
			return strings.Join(kept, "\r\n")
		}
	}
	accepted := func(extra ...string) func(h *HandshakeProbe) (Verdict, string) {
		return func(h *HandshakeProbe) (Verdict, string) {
			req, key := h.Valid(extra...)
			resp, _, err := h.Exchange(req)
			if err != nil {
				return Failed, "no response: " + err.Error()
			}
			if resp.StatusCode != http.StatusSwitchingProtocols {
				return Failed, "answered " + resp.Status
			}
			if got := resp.Header.Get("Sec-WebSocket-Accept"); got != AcceptFor(key) {
				return Failed, "wrong Sec-WebSocket-Accept " + got
			}
			if !headerHas(resp.Header, "Upgrade", "websocket") || !headerHas(resp.Header, "Connection", "upgrade") {
				return Failed, "101 without Upgrade: websocket and Connection: upgrade"
			}
			return OK, "answered 101 with the right Sec-WebSocket-Accept"
		}
	}
	register(
		serverCase("11.1.1", "Send a valid opening handshake.", "101 Switching Protocols with the right Sec-WebSocket-Accept.", accepted()),
		serverCase("11.1.2", "Send a valid handshake with \"Upgrade: WebSocket\" and \"Connection: keep-alive, Upgrade\", as browsers do.",
			"101: header values are matched case-insensitively, and Connection is a comma-separated list of tokens.",
			func(h *HandshakeProbe) (Verdict, string) {
				req, key := h.Valid()
				req = strings.Replace(req, "Upgrade: websocket", "Upgrade: WebSocket", 1)
				req = strings.Replace(req, "Connection: Upgrade", "Connection: keep-alive, Upgrade", 1)
				resp, _, err := h.Exchange(req)
				if err != nil || resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != AcceptFor(key) {
					return Failed, fmt.Sprintf("not accepted: %v %v", statusOf(resp), err)
				}
				return OK, "accepted"
			}),
		serverCase("11.1.3", "Send a valid handshake whose Upgrade header lists another protocol before WebSocket (\"Upgrade: foo, WebSocket\").",
			"101 is OK: the request's Upgrade must include the websocket keyword (RFC 6455 section 4.1), which it does. Refusing is NON-STRICT: no browser sends a list here.",
			func(h *HandshakeProbe) (Verdict, string) {
				req, key := h.Valid()
				req = strings.Replace(req, "Upgrade: websocket", "Upgrade: foo, WebSocket", 1)
				resp, _, err := h.Exchange(req)
				switch {
				case err != nil:
					return Failed, err.Error()
				case resp.StatusCode == 101 && resp.Header.Get("Sec-WebSocket-Accept") == AcceptFor(key):
					return OK, "accepted"
				case resp.StatusCode >= 400 && resp.StatusCode < 500:
					return NonStrict, "refused with " + resp.Status
				}
				return Failed, "answered " + resp.Status
			}),
		serverCase("11.2.1", "Send a handshake without Sec-WebSocket-Key.", "400 Bad Request.",
			refused(without("Sec-WebSocket-Key"), []int{400}, [2]string{})),
		serverCase("11.2.2", "Send a handshake whose Sec-WebSocket-Key is not base64 of 16 bytes.", "400 Bad Request.",
			refused(func(h *HandshakeProbe) string {
				r, key := h.Valid()
				return strings.Replace(r, key, "c2hvcnQga2V5", 1)
			}, []int{400}, [2]string{})),
		serverCase("11.2.3", "Send a handshake with Sec-WebSocket-Version: 99, a version no server knows.",
			"A refusal (such as 426 Upgrade Required) with a Sec-WebSocket-Version header naming the versions the server knows, 13 among them (section 4.4). A refusal without that header is NON-STRICT.",
			func(h *HandshakeProbe) (Verdict, string) {
				r, _ := h.Valid()
				resp, _, err := h.Exchange(strings.Replace(r, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 99", 1))
				switch {
				case err != nil:
					return NonStrict, "no HTTP response; the connection was closed: " + err.Error()
				case resp.StatusCode == 101:
					return Failed, "accepted version 99"
				case resp.StatusCode >= 400 && resp.StatusCode < 500 && headerHas(resp.Header, "Sec-WebSocket-Version", "13"):
					return OK, "answered " + resp.Status + " with Sec-WebSocket-Version: " + strings.Join(resp.Header.Values("Sec-WebSocket-Version"), ", ")
				case resp.StatusCode >= 400 && resp.StatusCode < 500:
					return NonStrict, "answered " + resp.Status + " without a Sec-WebSocket-Version header naming 13"
				}
				return Failed, "answered " + resp.Status
			}),
		serverCase("11.2.4", "Send a handshake without Sec-WebSocket-Version.",
			"A refusal: 400 Bad Request, or 426 with Sec-WebSocket-Version: 13.",
			refused(without("Sec-WebSocket-Version"), []int{400, 426}, [2]string{})),
		serverCase("11.2.5", "Send a handshake whose Upgrade header does not name websocket.", "A refusal: 400 or 426.",
			refused(edit("Upgrade: websocket", "Upgrade: h2c"), []int{400, 426}, [2]string{})),
		serverCase("11.2.6", "Send a handshake whose Connection header does not name upgrade.", "A refusal: 400 or 426.",
			refused(edit("Connection: Upgrade", "Connection: keep-alive"), []int{400, 426}, [2]string{})),
		serverCase("11.2.7", "Send the handshake with method POST.", "A refusal: 400 or 405 Method Not Allowed.",
			refused(edit("GET ", "POST "), []int{400, 405}, [2]string{})),
		serverCase("11.3.1", "Send a valid handshake with 64 KiB of extra headers.",
			"431 Request Header Fields Too Large (another 4xx, or closing the connection, is NON-STRICT). RFC 6455 sets no limit, so accepting is INFORMATIONAL.",
			func(h *HandshakeProbe) (Verdict, string) {
				var pad []string
				for i := range 64 {
					pad = append(pad, fmt.Sprintf("X-Padding-%d: %s", i, strings.Repeat("p", 1000)))
				}
				resp, _, err := h.Exchange(valid(pad...)(h))
				switch {
				case err != nil:
					return NonStrict, "the connection was closed without an answer"
				case resp.StatusCode == 431:
					return OK, "answered 431"
				case resp.StatusCode == 101:
					return Informational, "accepted 64 KiB of headers"
				case resp.StatusCode >= 400 && resp.StatusCode < 500:
					return NonStrict, "answered " + resp.Status
				}
				return Failed, "answered " + resp.Status
			}),
		serverCase("11.4.1", "Offer two subprotocols the server cannot know.",
			"101 with no Sec-WebSocket-Protocol (or one of those offered): a server selects only what was offered.",
			func(h *HandshakeProbe) (Verdict, string) {
				resp, _, err := h.Exchange(valid("Sec-WebSocket-Protocol: x-unknown-a, x-unknown-b")(h))
				if err != nil {
					return Failed, err.Error()
				}
				p := resp.Header.Values("Sec-WebSocket-Protocol")
				if resp.StatusCode == 101 && (len(p) == 0 || len(p) == 1 && (p[0] == "x-unknown-a" || p[0] == "x-unknown-b")) {
					return OK, fmt.Sprintf("selected %q", p)
				}
				return Failed, fmt.Sprintf("answered %s selecting %q", resp.Status, p)
			}),
		serverCase("11.4.2", "Offer an extension the server cannot know.",
			"101 without that extension in Sec-WebSocket-Extensions: a server accepts only what was offered, and only what it implements.",
			func(h *HandshakeProbe) (Verdict, string) {
				resp, _, err := h.Exchange(valid("Sec-WebSocket-Extensions: x-unknown-extension; p=1")(h))
				if err != nil {
					return Failed, err.Error()
				}
				e := resp.Header.Values("Sec-WebSocket-Extensions")
				if resp.StatusCode == 101 && !strings.Contains(strings.Join(e, ","), "x-unknown-extension") {
					return OK, fmt.Sprintf("extensions %q", e)
				}
				return Failed, fmt.Sprintf("answered %s with extensions %q", resp.Status, e)
			}),
	)

	// Client mode: answers a client must refuse, and one it must accept.
	clientCase := func(id, desc string, mustAccept bool, response func(r *http.Request) string) *Case {
		expectation := "The client refuses the handshake: it closes the connection without answering the message the suite sends."
		if mustAccept {
			expectation = "The client accepts the handshake and echoes the message the suite sends."
		}
		return &Case{ID: id, Description: desc, Expectation: expectation, Modes: ClientMode,
			Handshake: func(h *HandshakeProbe) (Verdict, string) {
				echoed, seen := h.RespondAndWatch(response(h.Request()), 4*time.Second)
				if echoed == mustAccept {
					return OK, seen
				}
				return Failed, seen
			}}
	}
	register(
		clientCase("11.5.1", "Answer with a valid 101.", true, func(r *http.Request) string { return switching(r) }),
		clientCase("11.5.2", "Answer with a 101 whose Sec-WebSocket-Accept is wrong.", false, func(r *http.Request) string {
			return strings.Replace(switching(r), AcceptFor(r.Header.Get("Sec-WebSocket-Key")), AcceptFor("wrong key"), 1)
		}),
		clientCase("11.5.3", "Answer with a 101 without an Upgrade header.", false, func(r *http.Request) string {
			return strings.Replace(switching(r), "Upgrade: websocket\r\n", "", 1)
		}),
		clientCase("11.5.4", "Answer with a 101 selecting a subprotocol the client did not offer.", false, func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Protocol: x-never-offered")
		}),
		clientCase("11.5.5", "Answer with a 101 accepting an extension the client did not offer.", false, func(r *http.Request) string {
			return switching(r, "Sec-WebSocket-Extensions: x-never-offered")
		}),
		clientCase("11.5.6", "Answer with 200 OK instead of 101.", false, func(r *http.Request) string {
			return "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
		}),
	)
}

func statusOf(resp *http.Response) string {
	if resp == nil {
		return "no response"
	}
	return resp.Status
}
