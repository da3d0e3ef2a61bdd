package conformance

import (
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"
)

// Category 6: UTF-8 in text messages (RFC 6455 section 8.1): valid text
// comes back, invalid text fails the connection with 1007 — and fails it
// fast, at the first byte after which no valid text is possible, not at
// the end of the message (section 8.1: "MUST _Fail the WebSocket
// Connection_" on invalid data, which a streaming endpoint can see early).
func init() {
	kosme := "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"
	valid := "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"
	register(
		echoCase("6.1.1", "Send an empty text message.", "An empty text message comes back.",
			func(s *Session) { s.SendMessage(opText, nil) }, Text("")),
		echoCase("6.1.2", "Send an empty text message in 3 empty fragments.", "An empty text message comes back.",
			func(s *Session) { together(s, text(false, ""), cont(false, ""), cont(true, "")) }, Text("")),
		echoCase("6.1.3", "Send a text message in 3 fragments, the first and last empty.", "The message comes back.",
			func(s *Session) { together(s, text(false, ""), cont(false, "middle frame payload"), cont(true, "")) },
			Text("middle frame payload")),
		echoCase("6.2.1", "Send valid UTF-8 text with 2-byte characters in one frame.", "The message comes back.",
			func(s *Session) { s.SendMessage(opText, []byte(valid)) }, Text(valid)),
		echoCase("6.2.2", "Send the same text fragmented on character boundaries, one character per frame.", "The message comes back.",
			func(s *Session) { together(s, fragmentsByRune(valid)...) }, Text(valid)),
		echoCase("6.2.3", "Send the same text fragmented into frames of one octet, splitting characters.",
			"The message comes back: a character may be split across frames.",
			func(s *Session) { together(s, fragmentsBySize(valid, 1)...) }, Text(valid)),
		echoCase("6.2.4", "Send text with 2- and 3-byte characters fragmented into frames of one octet.",
			"The message comes back.",
			func(s *Session) { together(s, fragmentsBySize(kosme, 1)...) }, Text(kosme)),
	)
	invalid := kosme + "\xed\xa0\x80" + "edited"
	register(
		failCaseWith("6.3.1", "Send a text message with an encoded surrogate (invalid UTF-8) in one frame.",
			utf8Expectation, failedInvalidUTF8, nil,
			func(s *Session) { s.SendMessage(opText, []byte(invalid)) }),
		failCaseWith("6.3.2", "Send the same message fragmented into frames of one octet.",
			utf8Expectation, failedInvalidUTF8, nil,
			func(s *Session) { together(s, fragmentsBySize(invalid, 1)...) }),
	)

	// Fail fast: the invalid byte arrives in the second of three parts, a
	// second apart. Failing before the third part is OK; failing only at
	// the end of the message is NON-STRICT.
	type failFast struct {
		desc         string
		part1, part2 string
		part3        string
		inFrames     bool
		expectation  string
	}
	ff := []failFast{
		{"in 3 frames; the 2nd frame holds a code point above U+10FFFF", kosme, "\xf4\x90\x80\x80", "edited", true,
			"The connection is failed with 1007 as soon as the 2nd frame arrives."},
		{"in 3 frames; the 1st frame ends with the lead byte of a sequence the 2nd frame makes invalid", kosme + "\xf4", "\x90\x80\x80", "edited", true,
			"The connection is failed with 1007 at the first byte of the 2nd frame."},
		{"in 1 frame written in 3 chops; the 2nd chop holds a code point above U+10FFFF", kosme, "\xf4\x90\x80\x80", "edited", false,
			"The connection is failed with 1007 as soon as the 2nd chop arrives, in the middle of the frame."},
		{"in 1 frame written in 3 chops; the 1st chop ends with a lead byte the 2nd chop's first byte makes invalid", kosme + "\xf4", "\x90\x80\x80", "edited", false,
			"The connection is failed with 1007 at the first byte of the 2nd chop."},
	}
	for i, c := range ff {
		c := c
		register(&Case{
			ID: fmt.Sprintf("6.4.%d", i+1), Modes: BothModes,
			Description: "Send invalid UTF-8 text " + c.desc + ", waiting 1 s between parts.",
			Expectation: c.expectation + " Failing only after the 3rd part is NON-STRICT.",
			Run: func(s *Session) {
				s.Expect(OK, Timeout("A"))
				s.Expect(NonStrict, Timeout("A"), Timeout("B"))
				s.ExpectClose(failedInvalidUTF8)
				if c.inFrames {
					s.Send(text(false, c.part1))
				} else {
					frame := s.Encode(Frame{Fin: true, Opcode: opText, Payload: []byte(c.part1 + c.part2 + c.part3)})
					hdr := len(frame) - len(c.part1+c.part2+c.part3)
					s.SendRaw(frame[:hdr+len(c.part1)], 0, 0)
					if !s.Wait(time.Second, "A") {
						return
					}
					s.SendRaw(frame[hdr+len(c.part1):hdr+len(c.part1)+len(c.part2)], 0, 0)
					if !s.Wait(time.Second, "B") {
						return
					}
					s.SendRaw(frame[hdr+len(c.part1)+len(c.part2):], 0, 0)
					s.KillAfter(time.Second)
					return
				}
				if !s.Wait(time.Second, "A") {
					return
				}
				s.Send(cont(false, c.part2))
				if !s.Wait(time.Second, "B") {
					return
				}
				s.Send(cont(true, c.part3))
				s.KillAfter(time.Second)
			},
		})
	}

	// The stress-test groups, each sequence a message on its own.
	for gi, g := range utf8Groups() {
		for si, seq := range g.seqs {
			id := fmt.Sprintf("6.%d.%d", gi+5, si+1)
			desc := fmt.Sprintf("%s: send a text message of %d bytes in one frame: 0x%s.", g.name, len(seq), hexShort(seq))
			payload := seq
			if utf8.ValidString(seq) {
				register(echoCase(id, desc, "The payload is valid UTF-8: the message comes back.",
					func(s *Session) { s.SendMessage(opText, []byte(payload)) }, Text(payload)))
			} else {
				register(failCaseWith(id, desc, "The payload is not valid UTF-8. "+utf8Expectation,
					failedInvalidUTF8, nil, func(s *Session) { s.SendMessage(opText, []byte(payload)) }))
			}
		}
	}
}

const utf8Expectation = "The connection is failed with 1007, the code for data inconsistent with its message type; failing it with 1002 is NON-STRICT."

func hexShort(s string) string {
	if len(s) > 40 {
		return hex.EncodeToString([]byte(s[:40])) + "…"
	}
	return hex.EncodeToString([]byte(s))
}

// fragmentsByRune splits s into one frame per character.
func fragmentsByRune(s string) []Frame {
	var frames []Frame
	for i, r := range s {
		n := utf8.RuneLen(r)
		op := opCont
		if i == 0 {
			op = opText
		}
		frames = append(frames, Frame{Fin: i+n == len(s), Opcode: op, Payload: []byte(s[i : i+n])})
	}
	return frames
}

// fragmentsBySize splits s into frames of size bytes.
func fragmentsBySize(s string, size int) []Frame {
	var frames []Frame
	for i := 0; i < len(s); i += size {
		end := min(i+size, len(s))
		op := opCont
		if i == 0 {
			op = opText
		}
		frames = append(frames, Frame{Fin: end == len(s), Opcode: op, Payload: []byte(s[i:end])})
	}
	return frames
}
