package deflate

// window keeps the most recent bytes of a stream, up to a limit: the LZ77
// history that context takeover carries from one message to the next. It
// grows with the bytes seen, so a connection that sent little keeps
// little. Its buffer holds up to twice the limit, so that sliding costs one
// copy of the limit every limit bytes written, not one per write.
type window struct {
	buf   []byte
	limit int
}

// write appends p, keeping (at least) the last limit bytes.
func (w *window) write(p []byte) {
	if len(p) >= w.limit {
		w.buf = append(w.buf[:0], p[len(p)-w.limit:]...)
		return
	}
	if len(w.buf)+len(p) > 2*w.limit {
		keep := w.limit - len(p)
		n := copy(w.buf, w.buf[len(w.buf)-keep:])
		w.buf = w.buf[:n]
	}
	w.buf = append(w.buf, p...)
}

// bytes returns the last limit bytes written (fewer if fewer were).
func (w *window) bytes() []byte {
	if len(w.buf) > w.limit {
		return w.buf[len(w.buf)-w.limit:]
	}
	return w.buf
}
