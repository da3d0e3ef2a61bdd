package fastws

import (
	"context"
	"sync"
	"time"
)

// deadline manages one direction (read or write) of a transport's
// deadlines: the deadline the user set, and contexts that interrupt a
// blocking call by moving the deadline to the past. After an interruption
// the user's deadline is restored, so a cancelled read leaves the
// connection usable.
type deadline struct {
	mu          sync.Mutex
	set         func(time.Time) error // nil when the transport has no deadlines
	user        time.Time
	gen         uint64 // bumped per watched call, so a late interruption hits nothing
	interrupted bool
}

// watch arranges for ctx to interrupt the calls made until the returned
// stop is called. It costs nothing for a context that cannot end. Without
// transport deadlines, an ending context runs fallback (closing the
// connection) instead.
func (d *deadline) watch(ctx context.Context, fallback func()) (stop func() bool) {
	if ctx.Done() == nil {
		return nil
	}
	if d.set == nil {
		return context.AfterFunc(ctx, fallback)
	}
	d.mu.Lock()
	d.gen++
	gen := d.gen
	d.mu.Unlock()
	return context.AfterFunc(ctx, func() {
		d.mu.Lock()
		if d.gen == gen {
			d.interrupted = true
			_ = d.set(time.Unix(1, 0))
		}
		d.mu.Unlock()
	})
}

// done ends a watch begun with watch, restoring the user's deadline if the
// context interrupted the call.
func (d *deadline) done(stop func() bool) {
	if stop == nil {
		return
	}
	stop()
	if d.set == nil {
		return
	}
	d.mu.Lock()
	d.gen++
	if d.interrupted {
		d.interrupted = false
		_ = d.set(d.user)
	}
	d.mu.Unlock()
}

// setUser records and applies the user's deadline.
func (d *deadline) setUser(t time.Time) error {
	if d.set == nil {
		return errNoDeadlines
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.user = t
	if d.interrupted {
		return nil // applied when the interruption ends
	}
	return d.set(t)
}

// ctxErr turns an error from an interrupted call into the context's error,
// keeping the original for errors.Is. It is out of line: inlined, its
// temporaries would sit in the frames of the read and write paths, whose
// depth decides a connection's stack size (see sysConn).
//
//go:noinline
func ctxErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if cerr := ctx.Err(); cerr != nil {
		return &interruptedError{ctx: cerr, err: err}
	}
	return err
}

type interruptedError struct{ ctx, err error }

func (e *interruptedError) Error() string   { return "fastws: " + e.ctx.Error() }
func (e *interruptedError) Unwrap() []error { return []error{e.ctx, e.err} }
