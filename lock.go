package fastws

import "context"

// lock is a mutex whose Lock gives up when a context ends or the connection
// closes, so that no caller waits on a lock it cannot cancel. It is not tied
// to a goroutine: a raw fragmented message takes it with its first frame and
// gives it back with its last, whichever goroutines send them.
type lock chan struct{}

func newLock() lock { return make(lock, 1) }

func (l lock) lock(ctx context.Context, closed <-chan struct{}) error {
	select {
	case l <- struct{}{}:
		return nil
	default:
	}
	select {
	case l <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-closed:
		return ErrClosed
	}
}

func (l lock) unlock() { <-l }
