package loadgen

import (
	"bytes"
	"fmt"
	"io"

	kflate "github.com/klauspost/compress/flate"
)

// inflater decompresses verified compressed echoes with one reader and
// one output buffer reused from message to message: a fresh flate reader
// costs tens of kilobytes and its setup, every message, which made
// verifying every compressed echo (fastws bench does) cost the generator
// more than the server it measures.
type inflater struct {
	src bytes.Reader
	r   io.ReadCloser
	out []byte
}

// inflate decompresses z, which must end with InflateEnd, against dict
// (the sender's context), reading at most limit bytes of output. The
// result is valid until the next call.
func (f *inflater) inflate(z, dict []byte, limit int) ([]byte, error) {
	f.src.Reset(z)
	if f.r == nil {
		f.r = kflate.NewReaderDict(&f.src, dict)
	} else if err := f.r.(kflate.Resetter).Reset(&f.src, dict); err != nil {
		return nil, err
	}
	if cap(f.out) < limit+1 {
		f.out = make([]byte, 0, limit+1)
	}
	out := f.out[:limit+1]
	n, err := io.ReadFull(f.r, out)
	switch {
	case err == nil:
		return nil, fmt.Errorf("inflates to more than %d bytes", limit)
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		return out[:n], nil
	}
	return nil, err
}
