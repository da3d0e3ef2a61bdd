package conformance

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Category 9: limits and performance. Large messages whole and in many
// fragments, frames chopped into small writes, and round trips of many
// small messages. These cases run alone and their durations are part of
// the report; a testee passes by echoing everything correctly.
func init() {
	sizes := []int{64 << 10, 256 << 10, 1 << 20, 4 << 20, 8 << 20, 16 << 20}
	for i, n := range sizes {
		register(bigCase(fmt.Sprintf("9.1.%d", i+1), fmt.Sprintf("Send a text message of %s in one frame.", size(n)), true, n, n, 0))
		register(bigCase(fmt.Sprintf("9.2.%d", i+1), fmt.Sprintf("Send a binary message of %s in one frame.", size(n)), false, n, n, 0))
	}
	frags := []int{64, 256, 1 << 10, 4 << 10, 16 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20}
	for i, f := range frags {
		register(bigCase(fmt.Sprintf("9.3.%d", i+1), fmt.Sprintf("Send a text message of 4 MiB in fragments of %s.", size(f)), true, 4<<20, f, 0))
		register(bigCase(fmt.Sprintf("9.4.%d", i+1), fmt.Sprintf("Send a binary message of 4 MiB in fragments of %s.", size(f)), false, 4<<20, f, 0))
	}
	chops := []int{64, 128, 256, 512, 1024, 2048}
	for i, c := range chops {
		register(bigCase(fmt.Sprintf("9.5.%d", i+1), fmt.Sprintf("Send a text message of 1 MiB in one frame, written in chops of %d bytes.", c), true, 1<<20, 1<<20, c))
		register(bigCase(fmt.Sprintf("9.6.%d", i+1), fmt.Sprintf("Send a binary message of 1 MiB in one frame, written in chops of %d bytes.", c), false, 1<<20, 1<<20, c))
	}
	for i, n := range []int{0, 16, 64, 256, 1024, 4096} {
		register(roundTrips(fmt.Sprintf("9.7.%d", i+1), true, n))
		register(roundTrips(fmt.Sprintf("9.8.%d", i+1), false, n))
	}
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// bigPayload is deterministic: text is ASCII, binary is pseudo-random.
func bigPayload(isText bool, n int) []byte {
	b := make([]byte, n)
	if isText {
		copy(b, repeat("The quick brown fox jumps over the lazy dog. ", n))
		return b
	}
	r := rand.New(rand.NewPCG(uint64(n), 9))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func bigCase(id, desc string, isText bool, n, frag, chop int) *Case {
	frames := 1
	if frag < n {
		frames = (n + frag - 1) / frag
	}
	limit := budget(work{bytes: n, rate: plainRate, frames: frames})
	return &Case{ID: id, Description: desc, Modes: BothModes, Serial: true, Timeout: limit,
		Expectation: "The message comes back unchanged; the time it took is recorded.",
		Run: func(s *Session) {
			payload := bigPayload(isText, n)
			ev := Binary(payload)
			op := opBinary
			if isText {
				ev, op = TextBytes(payload), opText
			}
			s.Expect(OK, ev)
			s.ExpectClose(normalClose)
			switch {
			case chop > 0:
				s.SendChopped(Frame{Fin: true, Opcode: op, Payload: payload}, chop, 0)
			case frag < n:
				s.SendFragmented(op, payload, frag)
			default:
				s.SendMessage(op, payload)
			}
			s.KillAfter(limit)
		}}
}

// roundTrips sends 1000 messages one at a time, each after the previous
// came back, to measure round-trip time.
func roundTrips(id string, isText bool, n int) *Case {
	kind := "binary"
	if isText {
		kind = "text"
	}
	limit := budget(work{bytes: 1000 * n, rate: plainRate, frames: 1000, roundTrips: 1000})
	return &Case{ID: id, Modes: BothModes, Serial: true, Timeout: limit,
		Description: fmt.Sprintf("Send 1000 %s messages of %d bytes, each after the previous one came back.", kind, n),
		Expectation: "Every message comes back unchanged, in order; the total time is recorded.",
		Run: func(s *Session) {
			payload := bigPayload(isText, n)
			ev := Binary(payload)
			op := opBinary
			if isText {
				ev, op = TextBytes(payload), opText
			}
			var expected []Event
			for range 1000 {
				expected = append(expected, ev)
			}
			s.Expect(OK, expected...)
			s.ExpectClose(normalClose)
			start := time.Now()
			for i := range 1000 {
				s.SendMessage(op, payload)
				if !s.WaitEvents(i+1, 10*time.Second) {
					return
				}
			}
			s.Note(fmt.Sprintf("1000 round trips in %v (%.1f µs each)", time.Since(start).Round(time.Millisecond),
				float64(time.Since(start).Microseconds())/1000))
			s.KillAfter(10 * time.Second)
		}}
}

// Category 10: miscellaneous.
func init() {
	payload := repeat("*", 65536)
	register(echoCase("10.1.1", "Send a text message of 65536 bytes in frames of 1300 bytes, as an auto-fragmenting sender would.",
		"The message comes back unchanged.",
		func(s *Session) { s.SendFragmented(opText, []byte(payload), 1300) }, Text(payload)))
}
