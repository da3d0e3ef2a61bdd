//go:build !unix

package fastws

// Without Unix sockets HandleMessages never takes its fast path.

func newHandler(c *Conn) *handler { return &handler{c: c} }

func (h *handler) run() (exitReason, error) { panic("fastws: no fast path here") }
