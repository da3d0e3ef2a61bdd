package conformance

import (
	"fmt"
	"time"
)

// Category 5: fragmentation (RFC 6455 section 5.4): control frames are
// never fragmented but may come between the fragments of a message; a
// continuation frame needs a message to continue; a new message may not
// begin inside an unfinished one.
func init() {
	// How each variant writes its frames: together, one octet per write,
	// or frame by frame with pauses.
	type delivery struct {
		name string
		send func(s *Session, frames ...Frame)
	}
	deliveries := []delivery{
		{"in one write", together},
		{"one octet per write", func(s *Session, frames ...Frame) { octetwise(s, 0, frames...) }},
		{"frame by frame, 100 ms apart", func(s *Session, frames ...Frame) {
			for i, f := range frames {
				if i > 0 {
					time.Sleep(100 * time.Millisecond)
				}
				s.Send(f)
			}
		}},
	}

	register(
		failCase("5.1", "Send a ping fragmented into 2 frames.",
			"The connection is failed with 1002: control frames are never fragmented.", []int{1002}, nil,
			func(s *Session) {
				together(s, Frame{Opcode: opPing, Payload: []byte("fragment1")}, cont(true, "fragment2"))
			}),
		failCase("5.2", "Send a pong fragmented into 2 frames.",
			"The connection is failed with 1002: control frames are never fragmented.", []int{1002}, nil,
			func(s *Session) {
				together(s, Frame{Opcode: opPong, Payload: []byte("fragment1")}, cont(true, "fragment2"))
			}),
	)
	for i, d := range deliveries {
		send := d.send
		register(echoCase(fmt.Sprintf("5.%d", 3+i), "Send a text message in 2 fragments, "+d.name+".",
			"The whole message comes back.",
			func(s *Session) { send(s, text(false, "fragment1"), cont(true, "fragment2")) },
			Text("fragment1fragment2")))
	}
	for i, d := range deliveries {
		send := d.send
		register(echoCase(fmt.Sprintf("5.%d", 6+i), "Send a text message in 2 fragments with a ping between them, "+d.name+".",
			"The ping is answered when it arrives, then the whole message comes back.",
			func(s *Session) { send(s, text(false, "fragment1"), ping("pongme!"), cont(true, "fragment2")) },
			Pong([]byte("pongme!")), Text("fragment1fragment2")))
	}
	for i, d := range deliveries {
		send := d.send
		register(failCase(fmt.Sprintf("5.%d", 9+i),
			"Send a continuation frame with FIN set and nothing to continue, then a text message, "+d.name+".",
			"The connection is failed with 1002 at the continuation frame.", []int{1002}, nil,
			func(s *Session) { send(s, cont(true, "non-continuation payload"), text(true, "Hello, world!")) }))
	}
	for i, d := range deliveries {
		send := d.send
		register(failCase(fmt.Sprintf("5.%d", 12+i),
			"Send a continuation frame without FIN and nothing to continue, then a text message, "+d.name+".",
			"The connection is failed with 1002 at the continuation frame.", []int{1002}, nil,
			func(s *Session) { send(s, cont(false, "non-continuation payload"), text(true, "Hello, world!")) }))
	}
	register(
		failCase("5.15", "Send a text message in 2 fragments, then a continuation frame without FIN and nothing to continue, then a text message, in one write.",
			"The first message comes back, then the connection is failed with 1002.", []int{1002},
			[]Event{Text("fragment1fragment2")},
			func(s *Session) {
				together(s, text(false, "fragment1"), cont(true, "fragment2"), cont(false, "fragment3"), text(true, "fragment4"))
			}),
		failCase("5.16", "Twice: a continuation frame without FIN and nothing to continue, then a text message in 2 fragments.",
			"The connection is failed with 1002 at the first frame.", []int{1002}, nil,
			func(s *Session) {
				together(s, cont(false, "fragment1"), text(false, "fragment2"), cont(true, "fragment3"),
					cont(false, "fragment1"), text(false, "fragment2"), cont(true, "fragment3"))
			}),
		failCase("5.17", "Twice: a continuation frame with FIN and nothing to continue, then a text message in 2 fragments.",
			"The connection is failed with 1002 at the first frame.", []int{1002}, nil,
			func(s *Session) {
				together(s, cont(true, "fragment1"), text(false, "fragment2"), cont(true, "fragment3"),
					cont(true, "fragment1"), text(false, "fragment2"), cont(true, "fragment3"))
			}),
		failCase("5.18", "Send a text message in 2 fragments whose second fragment is a text frame, not a continuation.",
			"The connection is failed with 1002: a new message may not begin inside an unfinished one.", []int{1002}, nil,
			func(s *Session) { together(s, text(false, "fragment1"), text(true, "fragment2")) }),
	)
	five := func(s *Session, octets bool) {
		send := func(frames ...Frame) {
			if octets {
				octetwise(s, 0, frames...)
			} else {
				together(s, frames...)
			}
		}
		send(text(false, "fragment1"), cont(false, "fragment2"), ping("pongme 1!"))
		time.Sleep(500 * time.Millisecond)
		send(cont(false, "fragment3"), cont(false, "fragment4"), ping("pongme 2!"))
		time.Sleep(500 * time.Millisecond)
		send(cont(true, "fragment5"))
	}
	whole := Text("fragment1fragment2fragment3fragment4fragment5")
	register(
		echoCase("5.19", "Send a text message in 5 fragments, with a ping after the 2nd and the 4th and 500 ms pauses.",
			"Each ping is answered as it arrives, before the message ends; then the whole message comes back.",
			func(s *Session) { five(s, false) }, Pong([]byte("pongme 1!")), Pong([]byte("pongme 2!")), whole),
		echoCase("5.20", "As 5.19, one octet per write.",
			"Each ping is answered as it arrives, before the message ends; then the whole message comes back.",
			func(s *Session) { five(s, true) }, Pong([]byte("pongme 1!")), Pong([]byte("pongme 2!")), whole),
	)
}
