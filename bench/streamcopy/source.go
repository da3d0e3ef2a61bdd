package streamcopy

import "io"

// Source reads n bytes of its pattern, repeated from the start as often as
// needed. It is a plain io.Reader (no WriteTo), so io.Copy and
// io.CopyBuffer move the data through their own buffer, and each Read fills
// the whole of p (but for the last): a copy's writes are all of the
// buffer's size.
type Source struct {
	pat Pattern
	off int64 // bytes read so far
	n   int64 // bytes to read in all
}

// NewSource returns a Source of n bytes of pat.
func NewSource(pat Pattern, n int64) *Source { return &Source{pat: pat, n: n} }

// Read fills p with the next bytes of the stream; io.EOF after n bytes.
func (s *Source) Read(p []byte) (int, error) {
	if s.off >= s.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), s.n-s.off)]
	done := 0
	// Each pass copies up to the end of a period: at most
	// len(p)/len(pat)+2 passes.
	for done < len(p) {
		k := copy(p[done:], s.pat.at(s.off))
		done += k
		s.off += int64(k)
	}
	return done, nil
}
