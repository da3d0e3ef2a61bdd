package conformance

import (
	"fmt"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// Category 3: reserved bits. With no extension negotiated, a frame with
// RSV1, RSV2 or RSV3 set fails the connection with 1002 (RFC 6455 section
// 5.2). Where a valid message comes first, it is answered first.
func init() {
	const hello = "Hello, world!"
	type rsvCase struct {
		rsv    byte
		what   string
		frame  Frame
		prefix bool // a valid message first, and a ping after
		octets bool // sent one octet per write
	}
	cases := []rsvCase{
		{wsframe.Rsv1, "RSV1", text(true, hello), false, false},
		{wsframe.Rsv2, "RSV2", text(true, hello), true, false},
		{wsframe.Rsv3, "RSV3", text(true, hello), true, true},
		{wsframe.Rsv1 | wsframe.Rsv2, "RSV1 and RSV2", text(true, hello), true, true},
		{wsframe.Rsv1 | wsframe.Rsv3, "RSV1 and RSV3", binaryFrame([]byte{0, 0xff, 0xfe}), false, false},
		{wsframe.Rsv2 | wsframe.Rsv3, "RSV2 and RSV3", ping(hello), false, false},
		{wsframe.Rsv1 | wsframe.Rsv2 | wsframe.Rsv3, "all three reserved bits", Frame{Fin: true, Opcode: opClose, Payload: []byte{0x03, 0xe8}}, false, false},
	}
	for i, c := range cases {
		bad := c.frame
		bad.Rsv = c.rsv
		desc := fmt.Sprintf("Send a %v frame with %s set.", bad.Opcode, c.what)
		var before []Event
		frames := []Frame{bad}
		if c.prefix {
			desc = fmt.Sprintf("Send a valid text message, then a %v frame with %s set, then a ping.", bad.Opcode, c.what)
			before = []Event{Text(hello)}
			frames = []Frame{text(true, hello), bad, ping("")}
		}
		if c.octets {
			desc += " One octet per write, 1 ms apart."
		}
		octets := c.octets
		register(failCase(fmt.Sprintf("3.%d", i+1), desc,
			"The connection is failed with 1002 (after answering the valid message, if any); the ping is not answered.",
			[]int{1002}, before, func(s *Session) {
				if octets {
					octetwise(s, time.Millisecond, frames...)
				} else {
					together(s, frames...)
				}
			}))
	}
}

// Category 4: reserved opcodes, for data frames (3–7) and control frames
// (0xB–0xF). Each fails the connection with 1002.
func init() {
	const hello = "Hello, world!"
	for group, base := range []wsframe.Opcode{3, 0xB} {
		for i := range 5 {
			op := base + wsframe.Opcode(i)
			id := fmt.Sprintf("4.%d.%d", group+1, i+1)
			bad := Frame{Fin: true, Opcode: op}
			if i%2 == 1 {
				bad.Payload = []byte("reserved opcode payload")
			}
			desc := fmt.Sprintf("Send a frame with reserved opcode %d.", op)
			var before []Event
			frames := []Frame{bad}
			if i >= 2 {
				desc = fmt.Sprintf("Send a valid text message, then a frame with reserved opcode %d, then a ping.", op)
				before = []Event{Text(hello)}
				frames = []Frame{text(true, hello), bad, ping("")}
			}
			octets := i == 4
			if octets {
				desc += " One octet per write, 1 ms apart."
			}
			register(failCase(id, desc,
				"The connection is failed with 1002 (after answering the valid message, if any).",
				[]int{1002}, before, func(s *Session) {
					if octets {
						octetwise(s, time.Millisecond, frames...)
					} else {
						together(s, frames...)
					}
				}))
		}
	}
}
