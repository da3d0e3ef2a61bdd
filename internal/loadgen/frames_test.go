package loadgen

import (
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// serverFrame returns an unmasked server frame.
func serverFrame(op wsframe.Opcode, fin bool, payload []byte) []byte {
	h := wsframe.Header{Fin: fin, Opcode: op, Length: int64(len(payload))}
	return append(wsframe.AppendHeader(nil, h), payload...)
}

// compressedServerFrame returns an unmasked server frame with RSV1 and
// payload compressed without context.
func compressedServerFrame(t *testing.T, payload []byte) []byte {
	z, err := compressMessage(payload)
	if err != nil {
		t.Fatal(err)
	}
	h := wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpText, Length: int64(len(z))}
	return append(wsframe.AppendHeader(nil, h), z...)
}
