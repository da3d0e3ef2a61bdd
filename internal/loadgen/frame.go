package loadgen

import (
	"fmt"

	"github.com/fastws/fastws/wsframe"
)

// maskKey masks every frame the load generator sends. RFC 6455 wants an
// unpredictable key from real clients, against cache poisoning of
// intermediaries; a fixed one costs nothing here and lets one pre-masked
// frame serve every message.
var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// Payload returns the size bytes every message carries: printable ASCII,
// valid as a text message too.
func Payload(size int) []byte {
	p := make([]byte, size)
	for i := range p {
		p[i] = 'a' + byte(i%26)
	}
	return p
}

// message is one message a load sends, built once: the masked frame that
// goes on the wire every time, and the payload its echo must carry.
type message struct {
	frame   []byte
	payload []byte
}

// buildFrame returns the complete masked client frame for payload, sent
// as it is for every message.
func buildFrame(payload []byte, text bool) []byte {
	op := wsframe.OpBinary
	if text {
		op = wsframe.OpText
	}
	return maskedFrame(wsframe.Header{Fin: true, Opcode: op}, payload)
}

func maskedFrame(h wsframe.Header, payload []byte) []byte {
	h.Masked, h.Mask, h.Length = true, maskKey, int64(len(payload))
	frame := wsframe.AppendHeader(make([]byte, 0, wsframe.HeaderSize(h)+len(payload)), h)
	start := len(frame)
	frame = append(frame, payload...)
	wsframe.Mask(maskKey, 0, frame[start:])
	return frame
}

// DefaultVariants is how many distinct messages a compressed load cycles
// through. Identical messages would let a compressor with context
// takeover send each as a few back-references to the last; with 64
// distinct ones, even 1 KiB messages repeat only after twice a 32 KiB
// window, and what the context offers is what real traffic offers: the
// same keys and shapes with other values.
const DefaultVariants = 64

// buildMessages returns the messages of a load: one, Payload(size), for
// an uncompressed load; variants JSON documents (JSONMessage), each
// compressed once without context and sent as a text frame with RSV1,
// for a compressed one.
func buildMessages(size int, text, compress bool, variants int) ([]message, error) {
	if !compress {
		return buildSized([]int{size}, text, false)
	}
	if variants <= 0 {
		variants = DefaultVariants
	}
	sizes := make([]int, variants)
	for i := range sizes {
		sizes[i] = size
	}
	return buildSized(sizes, true, true)
}

// buildSized returns one message per entry of sizes, in that order: the
// Payload of that size (one copy per distinct size), or with compress
// the JSON document of that size and index, compressed.
func buildSized(sizes []int, text, compress bool) ([]message, error) {
	msgs := make([]message, len(sizes))
	if !compress {
		built := map[int]message{}
		for i, size := range sizes {
			m, ok := built[size]
			if !ok {
				p := Payload(size)
				m = message{frame: buildFrame(p, text), payload: p}
				built[size] = m
			}
			msgs[i] = m
		}
		return msgs, nil
	}
	for i, size := range sizes {
		p := JSONMessage(size, i)
		z, err := compressMessage(p)
		if err != nil {
			return nil, err
		}
		// The frame is checked once here so that a bad echo is never
		// blamed on the server.
		if back, err := inflateMessage(z, nil, size); err != nil || string(back) != string(p) {
			return nil, fmt.Errorf("loadgen: message %d does not survive its own compression: %v", i, err)
		}
		h := wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpText}
		msgs[i] = message{frame: maskedFrame(h, z), payload: p}
	}
	return msgs, nil
}
