package servers

import (
	"errors"
	"net"
)

// parkOnClose wraps the listener of a library whose accept loop retries
// every error, a closed listener's too (gws and nbio): once the listener
// is closed, Accept blocks for good instead of spinning a core. A
// benchmark process never closes its listener; the in-process tests do,
// and two spinning loops per library slowed every later test tenfold.
type parkOnClose struct{ net.Listener }

func (l parkOnClose) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if errors.Is(err, net.ErrClosed) {
		select {}
	}
	return nc, err
}
