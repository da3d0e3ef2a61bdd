package main

import (
	"context"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// shutdownOnSignal runs shutdown, with timeout as its context's limit,
// when the process gets SIGINT (Ctrl-C) or SIGTERM. The servers use it to
// close their WebSockets with 1001 rather than leave clients to see 1006.
// Calling stop ends the watch; done is closed once shutdown has returned
// (never, if no signal came).
func shutdownOnSignal(shutdown func(context.Context) error, timeout time.Duration) (done <-chan struct{}, stop func()) {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var stopped atomic.Bool
	finished := make(chan struct{})
	go func() {
		<-ctx.Done()
		if !stopped.Load() {
			sctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			_ = shutdown(sctx)
		}
		close(finished)
	}()
	return finished, func() { stopped.Store(true); cancel() }
}
