package fastws

import (
	"context"
	"sync"
	"sync/atomic"
)

// lock is a mutex whose lock gives up when a context ends or the
// connection closes, so that no caller waits on a lock it cannot cancel.
// It is not tied to a goroutine: a raw fragmented message takes it with
// its first frame and gives it back with its last, whichever goroutines
// send them.
//
// It lives inside the Conn and allocates nothing unless a caller has to
// wait: a Conn has three, and a one-slot channel each (the obvious
// cancellable mutex) would add 96 bytes of heap apiece to every
// connection.
type lock struct {
	mu      sync.Mutex
	waiters atomic.Int32
	wakeMu  sync.Mutex
	wake    chan struct{} // closed by unlock when someone waits; made by the first waiter
}

func (l *lock) lock(ctx context.Context, closed <-chan struct{}) error {
	if l.mu.TryLock() {
		return nil
	}
	return l.lockSlow(ctx, closed)
}

func (l *lock) lockSlow(ctx context.Context, closed <-chan struct{}) error {
	l.waiters.Add(1)
	defer l.waiters.Add(-1)
	for {
		l.wakeMu.Lock()
		if l.wake == nil {
			l.wake = make(chan struct{})
		}
		wake := l.wake
		l.wakeMu.Unlock()
		// Tried after taking wake: an unlock from now on closes it.
		if l.mu.TryLock() {
			return nil
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		case <-closed:
			return ErrClosed
		}
	}
}

// tryLock takes the lock if it is free.
func (l *lock) tryLock() bool { return l.mu.TryLock() }

// lockAlways waits for the lock however long it takes.
func (l *lock) lockAlways() { l.mu.Lock() }

func (l *lock) unlock() {
	l.mu.Unlock()
	if l.waiters.Load() > 0 {
		l.wakeMu.Lock()
		if l.wake != nil {
			close(l.wake)
			l.wake = nil
		}
		l.wakeMu.Unlock()
	}
}
