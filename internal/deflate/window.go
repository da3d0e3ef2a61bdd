package deflate

// window keeps the most recent bytes of a stream, up to a limit: the LZ77
// history that context takeover carries from one message to the next. It
// grows with the bytes seen, so a connection that sent little keeps
// little.
type window struct {
	buf   []byte
	limit int
}

// write appends p, keeping only the last limit bytes.
func (w *window) write(p []byte) {
	if len(p) >= w.limit {
		w.buf = append(w.buf[:0], p[len(p)-w.limit:]...)
		return
	}
	if over := len(w.buf) + len(p) - w.limit; over > 0 {
		// Slide: drop the oldest bytes in place.
		n := copy(w.buf, w.buf[over:])
		w.buf = w.buf[:n]
	}
	w.buf = append(w.buf, p...)
}

func (w *window) bytes() []byte { return w.buf }
