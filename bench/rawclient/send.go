package rawclient

import (
	"github.com/fastws/fastws/wsframe"
)

// maskKey masks every frame. RFC 6455 wants an unpredictable key from a
// real client, against cache poisoning of intermediaries; this client only
// ever talks to the battery's servers on the loopback.
var maskKey = [4]byte{0x5b, 0x13, 0xc4, 0x7e}

// batchSize is about how many bytes of frames each write carries: enough
// that 1-byte fragments go out some 150,000 to a system call, so the
// server, not the client, sets the pace.
const batchSize = 1 << 20

// Message is how a message is cut into frames.
type Message struct {
	Payload  []byte
	Fragment int  // largest frame payload; 0 sends one frame
	Deflated bool // the payload is compressed: RSV1 on the first frame
}

// Frames returns how many frames m takes.
func (m Message) Frames() int {
	if m.Fragment <= 0 || len(m.Payload) == 0 {
		return 1
	}
	return (len(m.Payload) + m.Fragment - 1) / m.Fragment
}

// Send writes m as a binary message: its first frame binary (with RSV1 if
// Deflated), the others continuations, FIN on the last, every one masked,
// gathered into writes of about batchSize bytes. It returns when every
// byte is written or a write fails (as it does once a server that has
// refused the message closes the connection).
func (c *Conn) Send(m Message) error {
	frag := m.Fragment
	if frag <= 0 || frag > len(m.Payload) {
		frag = max(len(m.Payload), 1)
	}
	buf := make([]byte, 0, min(batchSize+frag+wsframe.MaxHeaderSize, len(m.Payload)+m.Frames()*wsframe.MaxHeaderSize))
	for off, end := 0, 0; ; off = end {
		end = min(off+frag, len(m.Payload))
		h := wsframe.Header{Fin: end == len(m.Payload), Opcode: wsframe.OpContinuation}
		if off == 0 {
			h.Opcode = wsframe.OpBinary
			if m.Deflated {
				h.Rsv = wsframe.Rsv1
			}
		}
		buf = appendMasked(buf, h, m.Payload[off:end])
		if len(buf) >= batchSize || h.Fin {
			if _, err := c.nc.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
		if h.Fin {
			return nil
		}
	}
}

// appendMasked appends the masked frame of payload with header h.
func appendMasked(dst []byte, h wsframe.Header, payload []byte) []byte {
	h.Masked, h.Mask, h.Length = true, maskKey, int64(len(payload))
	dst = wsframe.AppendHeader(dst, h)
	start := len(dst)
	dst = append(dst, payload...)
	wsframe.Mask(maskKey, 0, dst[start:])
	return dst
}
