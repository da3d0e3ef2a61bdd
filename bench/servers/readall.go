package servers

import (
	"errors"
	"io"
)

// readAppend reads r to EOF into buf[:0], growing buf as needed, and
// returns the message. The libraries whose readers are streams use it
// instead of io.ReadAll so that a connection reuses one buffer.
func readAppend(r io.Reader, buf []byte) ([]byte, error) {
	buf = buf[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// keep returns buf for reuse by the next message, or nil when it has grown
// too large to keep.
func keep(buf []byte) []byte {
	if cap(buf) > keptBufferSize {
		return nil
	}
	return buf
}
