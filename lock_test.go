package fastws

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Many goroutines contending for a lock each get it in turn, and a waiter
// is woken by every kind of unlock.
func TestLockExcludesAndWakes(t *testing.T) {
	var l lock
	never := make(chan struct{})
	const workers, rounds = 8, 500
	count := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range rounds {
				if err := l.lock(context.Background(), never); err != nil {
					t.Error(err)
					return
				}
				count++
				l.unlock()
			}
		})
	}
	wg.Wait()
	if count != workers*rounds {
		t.Fatalf("count %d, want %d", count, workers*rounds)
	}
}

func TestLockGivesUp(t *testing.T) {
	var l lock
	closed := make(chan struct{})
	l.lockAlways()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.lock(ctx, closed); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with the lock held and the context ended: %v", err)
	}

	got := make(chan error, 1)
	go func() { got <- l.lock(context.Background(), closed) }()
	time.Sleep(10 * time.Millisecond)
	close(closed)
	if err := <-got; err != ErrClosed {
		t.Fatalf("with the lock held and the connection closed: %v", err)
	}

	if l.tryLock() {
		t.Fatal("tryLock took a held lock")
	}
	go func() { got <- l.lock(context.Background(), make(chan struct{})) }()
	time.Sleep(10 * time.Millisecond)
	l.unlock() // by another goroutine than the one that locked: allowed
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("unlock did not wake the waiter")
	}
	l.unlock()
	if !l.tryLock() {
		t.Fatal("tryLock could not take a free lock")
	}
}
