package loadgen

import "github.com/fastws/fastws/wsframe"

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

// buildFrame returns the complete masked client frame for payload, sent
// as it is for every message.
func buildFrame(payload []byte, text bool) []byte {
	op := wsframe.OpBinary
	if text {
		op = wsframe.OpText
	}
	h := wsframe.Header{Fin: true, Opcode: op, Masked: true, Mask: maskKey, Length: int64(len(payload))}
	frame := wsframe.AppendHeader(make([]byte, 0, wsframe.HeaderSize(h)+len(payload)), h)
	start := len(frame)
	frame = append(frame, payload...)
	wsframe.Mask(maskKey, 0, frame[start:])
	return frame
}
