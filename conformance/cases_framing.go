package conformance

import (
	"fmt"
	"time"
)

// Category 1: framing. Messages of every length class of RFC 6455 section
// 5.2 (7-bit, 16-bit and 64-bit lengths, and their boundaries), whole and
// chopped into small writes, and the masking rule of section 5.1.
func init() {
	lengths := []int{0, 125, 126, 127, 128, 65535, 65536}
	for i, n := range lengths {
		payload := repeat("*", n)
		register(echoCase(fmt.Sprintf("1.1.%d", i+1),
			fmt.Sprintf("Send a text message of %d bytes in one frame.", n),
			"The message comes back unchanged.",
			func(s *Session) { s.SendMessage(opText, []byte(payload)) },
			Text(payload)))
		bin := repeatBytes(0xfe, n)
		register(echoCase(fmt.Sprintf("1.2.%d", i+1),
			fmt.Sprintf("Send a binary message of %d bytes in one frame.", n),
			"The message comes back unchanged.",
			func(s *Session) { s.SendMessage(opBinary, bin) },
			Binary(bin)))
	}
	chopped := repeat("*", 65536)
	register(echoCase("1.1.8", "Send a text message of 65536 bytes in one frame, written in chops of 997 bytes.",
		"The message comes back unchanged: frame boundaries do not depend on how bytes arrive.",
		func(s *Session) { s.SendChopped(text(true, chopped), 997, 0) },
		Text(chopped)))
	choppedBin := repeatBytes(0xfe, 65536)
	register(echoCase("1.2.8", "Send a binary message of 65536 bytes in one frame, written in chops of 997 bytes.",
		"The message comes back unchanged.",
		func(s *Session) { s.SendChopped(binaryFrame(choppedBin), 997, 0) },
		Binary(choppedBin)))

	unmasked := failCase("1.3.1", "Send a text frame from the client without a mask.",
		"The server fails the connection with 1002: every client frame must be masked (RFC 6455 section 5.1).",
		[]int{1002}, nil, func(s *Session) {
			s.Send(Frame{Fin: true, Opcode: opText, Payload: []byte("unmasked"), Unmasked: true})
		})
	unmasked.Modes = ServerMode
	masked := failCase("1.3.2", "Send a text frame from the server with a mask.",
		"The client fails the connection with 1002: a server must not mask its frames (RFC 6455 section 5.1).",
		[]int{1002}, nil, func(s *Session) {
			s.Send(Frame{Fin: true, Opcode: opText, Payload: []byte("masked"), Masked: true})
		})
	masked.Modes = ClientMode
	register(unmasked, masked)
}

// Category 2: pings and pongs (RFC 6455 sections 5.5.2 and 5.5.3).
func init() {
	binPayload := []byte{0x00, 0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0x00, 0xff}
	p125 := repeatBytes(0xfe, 125)
	register(
		echoCase("2.1", "Send a ping without payload.", "A pong without payload.",
			func(s *Session) { s.Send(ping("")) }, Pong(nil)),
		echoCase("2.2", "Send a ping with a small text payload.", "A pong with the same payload.",
			func(s *Session) { s.Send(ping("Hello, world!")) }, Pong([]byte("Hello, world!"))),
		echoCase("2.3", "Send a ping with a small binary payload.", "A pong with the same payload.",
			func(s *Session) { s.Send(Frame{Fin: true, Opcode: opPing, Payload: binPayload}) }, Pong(binPayload)),
		echoCase("2.4", "Send a ping with a binary payload of 125 bytes, the most a control frame may carry.",
			"A pong with the same payload.",
			func(s *Session) { s.Send(Frame{Fin: true, Opcode: opPing, Payload: p125}) }, Pong(p125)),
		failCase("2.5", "Send a ping with a payload of 126 bytes.",
			"The connection is failed with 1002: control frames carry at most 125 bytes (section 5.5).",
			[]int{1002}, nil,
			func(s *Session) { s.Send(Frame{Fin: true, Opcode: opPing, Payload: repeatBytes(0xfe, 126)}) }),
		echoCase("2.6", "Send a ping with a 125-byte payload, one octet per write with 1 ms pauses.",
			"A pong with the same payload.",
			func(s *Session) { octetwise(s, time.Millisecond, Frame{Fin: true, Opcode: opPing, Payload: p125}) }, Pong(p125)),
		&Case{ID: "2.7", Description: "Send an unsolicited pong without payload, then close.",
			Expectation: "Nothing comes back but the close: an unsolicited pong is ignored (section 5.5.3).", Modes: BothModes,
			Run: func(s *Session) {
				s.Expect(OK)
				s.ExpectClose(normalClose)
				s.Send(pong(""))
				s.SendClose(1000, "")
				s.KillAfter(3 * time.Second)
			}},
		&Case{ID: "2.8", Description: "Send an unsolicited pong with a payload, then close.",
			Expectation: "Nothing comes back but the close.", Modes: BothModes,
			Run: func(s *Session) {
				s.Expect(OK)
				s.ExpectClose(normalClose)
				s.Send(pong("unsolicited pong payload"))
				s.SendClose(1000, "")
				s.KillAfter(3 * time.Second)
			}},
		echoCase("2.9", "Send an unsolicited pong with a payload, then a ping with another payload.",
			"Only the ping is answered, with its own payload.",
			func(s *Session) { together(s, pong("unsolicited pong payload"), ping("ping payload")) },
			Pong([]byte("ping payload"))),
		echoCase("2.10", "Send 10 pings, each with its own payload, in one write.",
			"10 pongs, in order, each with its ping's payload.",
			func(s *Session) {
				var frames []Frame
				for i := range 10 {
					frames = append(frames, ping(fmt.Sprintf("payload-%d", i)))
				}
				together(s, frames...)
			}, tenPongs()...),
		echoCase("2.11", "Send 10 pings, each with its own payload, one octet per write with 1 ms pauses.",
			"10 pongs, in order, each with its ping's payload.",
			func(s *Session) {
				var frames []Frame
				for i := range 10 {
					frames = append(frames, ping(fmt.Sprintf("payload-%d", i)))
				}
				octetwise(s, time.Millisecond, frames...)
			}, tenPongs()...),
		&Case{ID: "2.12", Description: "Send a close frame, then a ping.",
			Expectation: "The close is answered and the ping is not: nothing may follow a close frame (section 5.5.1).", Modes: BothModes,
			Run: func(s *Session) {
				s.Expect(OK)
				s.ExpectClose(normalClose)
				s.SendClose(1000, "")
				s.Send(ping("after close"))
				s.KillAfter(3 * time.Second)
			}},
	)
}

func tenPongs() []Event {
	var evs []Event
	for i := range 10 {
		evs = append(evs, Pong([]byte(fmt.Sprintf("payload-%d", i))))
	}
	return evs
}
