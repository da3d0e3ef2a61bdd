package streamcopy

import (
	"bytes"
	"fmt"
)

// Sink is the receiving end's io.Writer (like io.Discard, but a plain
// Writer without ReadFrom, so io.Copy reads through its own buffer): it
// counts the bytes and compares every one of them with the pattern at the
// same offset of the stream, a memcmp per chunk (bytes.Equal). That checks
// the whole stream, not a sample: a byte lost, added, altered, reordered or
// duplicated shows as a mismatch or a wrong count. A mismatch is recorded,
// not returned, so the copy runs to its end and the count stays true.
type Sink struct {
	pat      Pattern
	n        int64 // bytes received
	mismatch int64 // stream offset of the first wrong byte, or -1
}

// NewSink returns a Sink checking against pat.
func NewSink(pat Pattern) *Sink { return &Sink{pat: pat, mismatch: -1} }

// Write counts and checks p.
func (s *Sink) Write(p []byte) (int, error) {
	off := s.n
	s.n += int64(len(p))
	if s.mismatch >= 0 {
		return len(p), nil
	}
	// Each pass compares up to the end of a period: at most
	// len(p)/len(pat)+2 passes.
	for rest := p; len(rest) > 0; {
		want := s.pat.at(off)
		k := min(len(want), len(rest))
		if !bytes.Equal(rest[:k], want[:k]) {
			i := 0
			for rest[i] == want[i] { // stops before k: the chunks differ
				i++
			}
			s.mismatch = off + int64(i)
			break
		}
		rest = rest[k:]
		off += int64(k)
	}
	return len(p), nil
}

// Received is the number of bytes written to the sink.
func (s *Sink) Received() int64 { return s.n }

// Check returns an error unless exactly want bytes arrived, all equal to
// the pattern.
func (s *Sink) Check(want int64) error {
	if s.mismatch >= 0 {
		return fmt.Errorf("data corrupted: first wrong byte at stream offset %d (of %d received)", s.mismatch, s.n)
	}
	if s.n != want {
		return fmt.Errorf("received %d bytes, want %d", s.n, want)
	}
	return nil
}
