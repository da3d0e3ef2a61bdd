package testee

import (
	"net"
	"net/http"
	"time"
)

// Listen serves h on a fresh port of 127.0.0.1 and returns its base URL
// (ws://127.0.0.1:PORT) and a function that stops the listener. Upgraded
// connections are hijacked, so they outlive stop; they end when the suite
// closes them.
func Listen(h http.Handler) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return "ws://" + ln.Addr().String(), func() { srv.Close() }, nil
}
