package servers

import (
	"errors"
	"net"
	"net/http"
	"time"
)

// serveHTTP serves handler on ln with net/http, for the libraries that
// upgrade from an http.Handler.
func serveHTTP(ln net.Listener, handler http.Handler) error {
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	err := srv.Serve(ln)
	if errors.Is(err, net.ErrClosed) || errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
