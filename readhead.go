package fastws

import (
	"errors"
	"io"
)

var errHeadTooBig = errors.New("message head larger than the limit")

// readHead reads from r into buf until it holds a whole message head. It
// returns the head's length and how many bytes were read in all (bytes
// past the head belong to what follows it). A head that does not fit in buf
// is errHeadTooBig.
func readHead(r io.Reader, buf []byte) (end, n int, err error) {
	for {
		if n == len(buf) {
			return -1, n, errHeadTooBig
		}
		m, err := r.Read(buf[n:])
		n += m
		if end := headEnd(buf[:n], n-m); end >= 0 {
			return end, n, nil
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return -1, n, err
		}
	}
}
