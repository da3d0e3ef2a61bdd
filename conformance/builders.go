package conformance

import (
	"strings"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// Shorthands for the catalogue.
const (
	opCont   = wsframe.OpContinuation
	opText   = wsframe.OpText
	opBinary = wsframe.OpBinary
	opClose  = wsframe.OpClose
	opPing   = wsframe.OpPing
	opPong   = wsframe.OpPong
)

// normalClose is the end of a case in which the testee did everything
// right: the suite closes with 1000 and the handshake completes.
var normalClose = CloseExpectation{BySuite: true, Codes: []int{1000}, RequireClean: true}

// failedWith is the end of a case in which the testee must fail the
// connection: it sends a close frame with one of codes (or drops the
// connection) without waiting for the suite.
func failedWith(codes ...int) CloseExpectation {
	return CloseExpectation{BySuite: false, Codes: codes, RequireClean: false}
}

// failedInvalidUTF8 is how a testee ends a case that sent it invalid UTF-8:
// it fails the connection with 1007 (RFC 6455 section 7.4.1); 1002 also
// fails it but names the wrong reason, which is NON-STRICT.
var failedInvalidUTF8 = CloseExpectation{BySuite: false, Codes: []int{1007}, LaxCodes: []int{1002}}

// echoCase is a case the testee passes by sending back what it received
// (the expected events) and letting the suite close.
func echoCase(id, desc, expectation string, send func(s *Session), expected ...Event) *Case {
	return &Case{
		ID: id, Description: desc, Expectation: expectation, Modes: BothModes,
		Run: func(s *Session) {
			s.Expect(OK, expected...)
			s.ExpectClose(normalClose)
			send(s)
			s.KillAfter(5 * time.Second)
		},
	}
}

// failCase is a case the testee passes by failing the connection with one
// of codes. before lists what it must answer first (OK); a testee that
// fails before answering it is NON-STRICT.
func failCase(id, desc, expectation string, codes []int, before []Event, send func(s *Session)) *Case {
	return failCaseWith(id, desc, expectation, failedWith(codes...), before, send)
}

// failCaseWith is failCase with a full close expectation.
func failCaseWith(id, desc, expectation string, ec CloseExpectation, before []Event, send func(s *Session)) *Case {
	return &Case{
		ID: id, Description: desc, Expectation: expectation, Modes: BothModes,
		Run: func(s *Session) {
			s.Expect(OK, before...)
			if len(before) > 0 {
				s.Expect(NonStrict)
			}
			s.ExpectClose(ec)
			send(s)
			s.KillAfter(3 * time.Second)
		},
	}
}

// octetwise sends frames one octet per write, pausing delay between.
func octetwise(s *Session, delay time.Duration, frames ...Frame) {
	var b []byte
	for _, f := range frames {
		b = append(b, s.Encode(f)...)
	}
	s.SendRaw(b, 1, delay)
}

// together sends frames in a single write.
func together(s *Session, frames ...Frame) {
	var b []byte
	for _, f := range frames {
		b = append(b, s.Encode(f)...)
	}
	s.SendRaw(b, 0, 0)
}

func text(fin bool, p string) Frame    { return Frame{Fin: fin, Opcode: opText, Payload: []byte(p)} }
func cont(fin bool, p string) Frame    { return Frame{Fin: fin, Opcode: opCont, Payload: []byte(p)} }
func ping(p string) Frame              { return Frame{Fin: true, Opcode: opPing, Payload: []byte(p)} }
func pong(p string) Frame              { return Frame{Fin: true, Opcode: opPong, Payload: []byte(p)} }
func binaryFrame(p []byte) Frame       { return Frame{Fin: true, Opcode: opBinary, Payload: p} }
func repeat(s string, n int) string    { return strings.Repeat(s, n/len(s)+1)[:n] }
func repeatBytes(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }
