package deflate

// window keeps the most recent bytes of a stream, up to a limit: the LZ77
// history that context takeover carries from one message to the next. It
// grows with the bytes seen, so a connection that sent little keeps
// little, and its buffer never holds more than the limit plus a slack of
// a quarter of it (at least 1 KiB): sliding the last limit bytes to the
// front then happens once per slack's worth of bytes written, not once
// per write, for a buffer of at most 40 KiB at 15 bits.
type window struct {
	buf   []byte
	limit int
}

// capacity is the most the window's buffer holds.
func (w *window) capacity() int {
	return w.limit + max(w.limit/4, 1<<10)
}

// write appends p, keeping (at least) the last limit bytes.
func (w *window) write(p []byte) {
	if len(p) >= w.limit {
		w.buf = append(w.buf[:0], p[len(p)-w.limit:]...)
		return
	}
	w.reserve(len(p), w.limit-len(p))
	w.buf = append(w.buf, p...)
}

// reserve makes room for n more bytes after the history: if the buffer
// at its capacity would not take them it slides the last keep bytes to
// the front (keep+n must fit the capacity), and it grows the buffer, by
// doubling, up to its capacity.
func (w *window) reserve(n, keep int) {
	if len(w.buf)+n > w.capacity() {
		keep = min(len(w.buf), keep)
		w.buf = w.buf[:copy(w.buf, w.buf[len(w.buf)-keep:])]
	}
	if len(w.buf)+n > cap(w.buf) {
		grown := make([]byte, len(w.buf), min(max(2*cap(w.buf), len(w.buf)+n, 512), w.capacity()))
		copy(grown, w.buf)
		w.buf = grown
	}
}

// bytes returns the last limit bytes written (fewer if fewer were).
func (w *window) bytes() []byte {
	if len(w.buf) > w.limit {
		return w.buf[len(w.buf)-w.limit:]
	}
	return w.buf
}

// slack is the most a borrower may ask room for.
func (w *window) slack() int {
	return w.capacity() - w.limit
}

// lend returns the history with room for at least n more bytes (at most
// the slack) in the same buffer: an inflater decodes into it, so that
// the history need not be copied in front of the output and the output
// not copied into the history. giveBack ends the loan.
func (w *window) lend(n int) []byte {
	w.reserve(n, w.limit)
	return w.bytes()
}

// giveBack takes the loan back, the history now followed by the n bytes
// the borrower appended in place.
func (w *window) giveBack(n int) {
	w.buf = w.buf[:len(w.buf)+n]
}

// replace makes the last limit bytes of p the history: a borrower that
// outgrew the loan decoded elsewhere.
func (w *window) replace(p []byte) {
	w.buf = append(w.buf[:0], p[max(0, len(p)-w.limit):]...)
}
