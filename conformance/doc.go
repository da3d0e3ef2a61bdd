// Package conformance is a WebSocket conformance suite written from RFC 6455
// and RFC 7692: a catalogue of cases, a runner that drives any WebSocket
// server or client through them, and reports (JSON, HTML, text). It needs no
// Python and no Docker, and speaks the same testee protocol as the Autobahn
// testsuite, so clients built for Autobahn run against it unchanged.
//
// # Modes
//
// Testing a server ([RunServer]): for each case the suite connects to the
// server as a client and plays the case. Testing a client ([ClientSuite]):
// the suite is a server that answers GET /getCaseCount (a text message with
// the number of cases), /runCase?case=N&agent=A (plays case N with the
// connecting client) and /updateReports?agent=A (writes the reports).
//
// A server can also be tested over HTTP/2 ([ServerConfig].HTTP2): each
// case's WebSocket is then an extended CONNECT (RFC 8441) on an HTTP/2
// connection of its own, over TLS, and the testee ending its stream
// stands for the testee closing TCP. The opening-handshake cases are
// played in their HTTP/2 form, or are NOT APPLICABLE where HTTP/2 has no
// counterpart of what they break.
//
// # Verdicts
//
// Each case records what it observed (events received, close frames, which
// side closed, timings) and compares it with what the case expects:
//
//   - OK: the observed behaviour is the expected one.
//   - NON-STRICT: acceptable, but not what the case prefers (for example a
//     connection failed at the end of an invalid UTF-8 message rather than
//     at the first invalid byte).
//   - INFORMATIONAL: the RFC leaves the behaviour open; it is recorded.
//   - UNIMPLEMENTED: the testee did not take up an optional feature the case
//     needs (for example permessage-deflate).
//   - FAILED: anything else.
//   - NOT APPLICABLE: the case was not played, through no doing of the
//     testee (an HTTP/1.1 opening-handshake case in a run over HTTP/2);
//     the notes say why. It counts as neither passed nor failed.
//
// The closing behaviour is judged separately (OK, FAILED when the wrong
// side closed, WRONG CODE, UNCLEAN, FAILED BY CLIENT when a server left the
// TCP close to the client) and a case whose closing behaviour is not OK or
// INFORMATIONAL is FAILED.
//
// # Report shape
//
// The JSON report is an object keyed by agent name, then by case id:
//
//	{
//	  "fastws": {
//	    "1.1.1": {
//	      "behavior": "OK",                 // verdict on the events
//	      "behaviorClose": "OK",            // verdict on the closing
//	      "result": "OK",                   // overall: FAILED if either failed
//	      "duration": 3,                    // milliseconds
//	      "remoteCloseCode": 1000,          // null when the testee sent none
//	      "remoteCloseReason": "",
//	      "description": "...", "expectation": "...",
//	      "observed": {
//	        "events": [{"kind": "message", "type": "text", "length": 0, "payload": ""}],
//	        "expected": {"OK": [...]},
//	        "closedBySuite": true, "droppedBySuite": false, "wasClean": true,
//	        "violation": "",                // a protocol rule the testee broke
//	        "notes": ["..."]
//	      }
//	    }
//	  }
//	}
//
// The field names behavior, behaviorClose, duration and remoteCloseCode are
// those of the Autobahn testsuite's index.json, so tools that read one read
// the other.
package conformance
