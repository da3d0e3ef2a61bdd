package fastws

import "github.com/fastws/fastws/internal/bufpool"

// Chunk sizes of a spill: the first is small, so that a message of a few
// kilobytes costs a few kilobytes; each is half as large as what the spill
// holds, up to spillChunkMax, so that the last, partly empty chunk wastes
// at most that much.
const (
	spillChunkMin = 4 << 10
	spillChunkMax = 64 << 10
)

// spill holds the part of a message that did not fit the caller's buffer
// while the message's size is unknown: fragments still to come, or
// inflated bytes of a compressed message. It keeps them in pooled chunks
// and copies them once, into a destination of exactly the right size,
// when the message ends. Growing one buffer by doubling instead would
// allocate twice the message and, while copying, hold three times the
// last step; a spill holds the message plus one chunk, and a message that
// breaks the size limit (a decompression bomb) never holds more than the
// limit plus one chunk, all of it going back to the pool.
type spill struct {
	chunks []*[]byte // from bufpool; all full but the last
	n      int       // bytes held

	// The budget the message's memory is counted against (nil for none):
	// what the chunks take, and what was allocated for the message before
	// it ended (reserveExact), given back by release and settle.
	budget     *MemoryBudget
	chunkBytes int64
	exactBytes int64

	// first, when set, is the size of the first chunk instead of
	// spillChunkMin: a guess at the whole message (the loop's inflation
	// guesses from the compressed size), at most spillChunkMax.
	first int

	// pooled has grow take the message's buffer from the pool, and
	// grown is that buffer, until its reader takes it back: for
	// HandleMessages, whose handler only borrows the message. An exact
	// allocation there was garbage after every message that outgrew
	// the gathering buffer (each connection's first, in a burst of
	// 1,000 connections echoing 16 KiB: 16 MiB of garbage).
	pooled bool
	grown  *[]byte
}

// space returns the free room at the end of the last chunk, taking a new
// chunk from the pool when it is full. It returns nil when the budget has
// no room for another chunk.
func (s *spill) space() []byte {
	if k := len(s.chunks); k > 0 {
		if last := *s.chunks[k-1]; len(last) < cap(last) {
			return last[len(last):cap(last)]
		}
	}
	size := max(spillChunkMin, s.n/2)
	if len(s.chunks) == 0 && s.first > 0 {
		size = s.first
	}
	b := bufpool.Get(min(spillChunkMax, size))
	if !s.budget.take(int64(cap(*b))) {
		bufpool.Put(b)
		return nil
	}
	s.chunkBytes += int64(cap(*b))
	*b = (*b)[:0]
	s.chunks = append(s.chunks, b)
	return (*b)[:cap(*b)]
}

// commit records that n bytes were written at the start of the room space
// returned last.
func (s *spill) commit(n int) {
	last := s.chunks[len(s.chunks)-1]
	*last = (*last)[:len(*last)+n]
	s.n += n
}

// write appends p. It reports false when the budget has no room for it.
func (s *spill) write(p []byte) bool {
	for len(p) > 0 {
		sp := s.space()
		if sp == nil {
			return false
		}
		k := copy(sp, p)
		s.commit(k)
		p = p[k:]
	}
	return true
}

// reserveExact counts n bytes, allocated for the message before its end
// to take over what the chunks hold, against the budget, or reports false
// if the budget has no room. The chunks' share moves to the new memory:
// the moment both exist, while one is copied into the other, is not
// counted twice.
func (s *spill) reserveExact(n int) bool {
	switch more := int64(n) - s.chunkBytes; {
	case more < 0:
		s.budget.give(-more) // the chunks held more than the message needs
	case !s.budget.take(more):
		return false
	}
	s.exactBytes += int64(n)
	s.chunkBytes = 0
	return true
}

// settle ends the message's account: the chunks go back to the pool and
// everything it took from the budget is given back.
func (s *spill) settle() {
	s.release()
	s.budget.give(s.exactBytes)
	s.exactBytes = 0
}

// drainTo appends what the spill holds to dst, growing dst exactly to fit,
// and empties the spill.
func (s *spill) drainTo(dst []byte) []byte {
	if s.n == 0 {
		if len(s.chunks) > 0 {
			s.release() // a chunk taken for bytes that did not come
		}
		return dst
	}
	dst = s.grow(dst, s.n)
	for _, b := range s.chunks {
		dst = append(dst, *b...)
	}
	s.release()
	return dst
}

// gather returns the bytes held as one slice, which stays the spill's
// until settle gives it back: the only chunk as it is, or, when there
// are several, a copy into one chunk from the pool of the exact size
// (false when the memory budget refuses it). The event loop delivers an
// inflated message this way: the handler borrows it for the call, so it
// need not be memory of its own, and a message allocates nothing.
func (s *spill) gather() ([]byte, bool) {
	if k := len(s.chunks); k > 1 && len(*s.chunks[k-1]) == 0 {
		// A chunk taken for the end of the message, which it did not
		// need: the inflater reports the end on the read after the
		// one that filled the chunk before.
		last := s.chunks[k-1]
		s.chunkBytes -= int64(cap(*last))
		s.budget.give(int64(cap(*last)))
		bufpool.Put(last)
		s.chunks[k-1] = nil
		s.chunks = s.chunks[:k-1]
	}
	switch len(s.chunks) {
	case 0:
		return nil, true
	case 1:
		return *s.chunks[0], true
	}
	b := bufpool.Get(s.n)
	if !s.budget.take(int64(cap(*b))) {
		bufpool.Put(b)
		return nil, false
	}
	*b = (*b)[:0]
	for _, c := range s.chunks {
		*b = append(*b, *c...)
	}
	n := s.n
	s.release()
	s.chunks = append(s.chunks, b)
	s.chunkBytes = int64(cap(*b))
	s.n = n
	return *b, true
}

// release gives the chunks back to the pool, and what they took back to
// the budget.
func (s *spill) release() {
	for i, b := range s.chunks {
		bufpool.Put(b)
		s.chunks[i] = nil
	}
	s.budget.give(s.chunkBytes)
	s.chunkBytes = 0
	s.chunks = s.chunks[:0]
	if cap(s.chunks) > 64 {
		s.chunks = nil // a huge message's chunk list is not kept
	}
	s.n = 0
}

// grow returns dst with room for n more bytes: allocated exactly, or,
// while pooled, in a buffer from the pool (up to its largest class),
// which grown keeps for the reader to give back. A buffer grown before,
// for the same message, is copied out of and goes back at once.
func (s *spill) grow(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	if !s.pooled || len(dst)+n > bufpool.MaxPooled {
		return growExact(dst, n)
	}
	nb := bufpool.Get(len(dst) + n)
	*nb = append((*nb)[:0], dst...)
	bufpool.Put(s.grown)
	s.grown = nb
	return *nb
}

// takeGrown hands over the buffer grow took from the pool, if any.
func (s *spill) takeGrown() *[]byte {
	g := s.grown
	s.grown = nil
	return g
}

// growExact returns dst with room for n more bytes, allocating exactly
// that much when it has too little: the size is known, so rounding up
// would only waste memory.
func growExact(dst []byte, n int) []byte {
	if cap(dst)-len(dst) >= n {
		return dst
	}
	nb := make([]byte, len(dst), len(dst)+n)
	copy(nb, dst)
	return nb
}
