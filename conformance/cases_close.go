package conformance

import (
	"encoding/binary"
	"fmt"
	"time"
)

// closeAfter is a case in which the suite sends frames, begins the closing
// handshake, and then sends more; the testee answers the close and ignores
// what follows it (RFC 6455 sections 5.5.1 and 7.1.2).
func closeAfter(id, desc string, expected []Event, send func(s *Session)) *Case {
	return &Case{ID: id, Description: desc, Modes: BothModes,
		Expectation: "The close is answered with 1000 and nothing sent after it is answered.",
		Run: func(s *Session) {
			s.Expect(OK, expected...)
			s.ExpectClose(normalClose)
			s.SuppressClose()
			send(s)
			s.KillAfter(3 * time.Second)
		}}
}

func closePayload(code uint16, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, code), reason...)
}

// Category 7: the closing handshake (RFC 6455 sections 5.5.1, 7.1 and 7.4).
func init() {
	register(
		echoCase("7.1.1", "Send a text message, then close once it has come back.",
			"The message comes back, then the close is answered with 1000.",
			func(s *Session) { s.SendMessage(opText, []byte("Hello World!")) }, Text("Hello World!")),
		closeAfter("7.1.2", "Send two close frames.", nil, func(s *Session) {
			s.SendClose(1000, "")
			s.Send(Frame{Fin: true, Opcode: opClose, Payload: closePayload(1000, "")})
		}),
		closeAfter("7.1.3", "Send a close frame, then a ping.", nil, func(s *Session) {
			s.SendClose(1000, "")
			s.Send(ping("after close"))
		}),
		closeAfter("7.1.4", "Send a close frame, then a text message.", nil, func(s *Session) {
			s.SendClose(1000, "")
			s.SendMessage(opText, []byte("after close"))
		}),
		closeAfter("7.1.5", "Send the first fragment of a text message, a close frame, then the last fragment.", nil, func(s *Session) {
			s.Send(text(false, "fragment1"))
			s.SendClose(1000, "")
			s.Send(cont(true, "fragment2"))
		}),
		&Case{ID: "7.1.6", Modes: BothModes,
			Description: "Send a 256 KiB text message, a short text message, a close frame and a ping, back to back.",
			Expectation: "Implementation-defined: whether both messages come back before the close depends on whether the testee writes while it reads. Recorded, not judged.",
			Run: func(s *Session) {
				big := repeat("BAsd7&jh23", 256<<10)
				s.Expect(OK, Text(big), Text("Hello World!"))
				s.Expect(NonStrict)
				s.ExpectClose(normalClose)
				s.SuppressClose()
				together(s, text(true, big), text(true, "Hello World!"))
				s.SendClose(1000, "")
				s.Send(ping(""))
				s.KillAfter(3 * time.Second)
			},
			Judge: func(s *Session, r *Result) {
				r.Observed.Notes = append(r.Observed.Notes, fmt.Sprintf("behaviour %s, closing %s", r.Behavior, r.BehaviorClose))
				if r.Behavior != Failed || r.BehaviorClose == OK {
					r.Behavior, r.BehaviorClose = Informational, Informational
				}
			}},
	)

	// Close payloads of every length class.
	register(
		closeAfter("7.3.1", "Send a close frame without payload.", nil, func(s *Session) { s.SendClose(-1, "") }),
		failCase("7.3.2", "Send a close frame with a 1-byte payload.",
			"The connection is failed with 1002: a close payload is empty or at least 2 bytes (section 5.5.1).",
			[]int{1002}, nil, func(s *Session) { s.Send(Frame{Fin: true, Opcode: opClose, Payload: []byte{0x03}}) }),
		closeAfter("7.3.3", "Send a close frame with code 1000 and no reason.", nil, func(s *Session) { s.SendClose(1000, "") }),
		closeAfter("7.3.4", "Send a close frame with code 1000 and a reason.", nil, func(s *Session) { s.SendClose(1000, "Hello World!") }),
		closeAfter("7.3.5", "Send a close frame with code 1000 and a 123-byte reason, the longest that fits.", nil,
			func(s *Session) { s.SendClose(1000, repeat("*", 123)) }),
		failCase("7.3.6", "Send a close frame with code 1000 and a 124-byte reason (a 126-byte control frame).",
			"The connection is failed with 1002: control frames carry at most 125 bytes.", []int{1002}, nil,
			func(s *Session) {
				s.Send(Frame{Fin: true, Opcode: opClose, Payload: closePayload(1000, repeat("*", 124))})
			}),
		failCase("7.5.1", "Send a close frame with code 1000 and a reason that is not UTF-8.",
			"The connection is failed with 1007 or 1002: the reason must be UTF-8 (section 5.5.1); a close reason is not message data, so either code fits.", []int{1007, 1002}, nil,
			func(s *Session) {
				s.Send(Frame{Fin: true, Opcode: opClose, Payload: closePayload(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64")})
			}),
	)

	// Codes that may be sent: the testee answers with the same code or
	// with 1000.
	valid := []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999, 1012, 1013, 1014}
	for i, code := range valid {
		c := code
		expectation := fmt.Sprintf("The close is answered, with code %d or 1000.", c)
		var lax []int
		if c >= 1012 {
			// Registered with IANA after RFC 6455; an endpoint that
			// predates them fails the connection instead.
			lax = []int{1002}
			expectation += " Code 1012–1014 were registered after RFC 6455: failing the connection with 1002 is NON-STRICT."
		}
		register(&Case{ID: fmt.Sprintf("7.7.%d", i+1), Modes: BothModes,
			Description: fmt.Sprintf("Send a close frame with code %d.", c),
			Expectation: expectation,
			Run: func(s *Session) {
				s.Expect(OK)
				s.ExpectClose(CloseExpectation{BySuite: true, Codes: []int{1000, c}, RequireClean: true, LaxCodes: lax})
				s.SendClose(c, "")
				s.KillAfter(3 * time.Second)
			}})
	}
	// Codes that may not appear on the wire (section 7.4.1 and 7.4.2).
	invalid := []int{0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 1015}
	for i, code := range invalid {
		c := code
		register(failCase(fmt.Sprintf("7.9.%d", i+1), fmt.Sprintf("Send a close frame with code %d, which may not be sent.", c),
			"The connection is failed with 1002.", []int{1002}, nil,
			func(s *Session) { s.Send(Frame{Fin: true, Opcode: opClose, Payload: closePayload(uint16(c), "")}) }))
	}
	// Codes above the private range: RFC 6455 defines no use for them.
	for i, code := range []int{5000, 65535} {
		c := code
		register(&Case{ID: fmt.Sprintf("7.13.%d", i+1), Modes: BothModes,
			Description: fmt.Sprintf("Send a close frame with code %d, beyond every range RFC 6455 defines.", c),
			Expectation: "Failing the connection with 1002 is OK; answering the close normally is recorded as INFORMATIONAL, since the RFC does not say.",
			Run: func(s *Session) {
				s.Expect(OK)
				s.ExpectClose(failedWith(1002))
				s.Send(Frame{Fin: true, Opcode: opClose, Payload: closePayload(uint16(c), "")})
				s.KillAfter(3 * time.Second)
			},
			Judge: func(s *Session, r *Result) {
				if r.Behavior == OK && r.BehaviorClose != OK {
					r.Behavior, r.BehaviorClose = Informational, Informational
					r.Observed.Notes = append(r.Observed.Notes, "the testee did not fail the connection with 1002")
				}
			}})
	}
}
