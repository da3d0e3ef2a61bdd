package fastws

import (
	"context"
	"fmt"
	"sync"

	"github.com/fastws/fastws/wsframe"
)

// pingWaiters are the Ping calls waiting for their pong.
type pingWaiters struct {
	mu      sync.Mutex
	waiting []*pingWaiter
}

type pingWaiter struct {
	payload string
	done    chan struct{}
}

func (p *pingWaiters) add(payload []byte) *pingWaiter {
	w := &pingWaiter{payload: string(payload), done: make(chan struct{})}
	p.mu.Lock()
	p.waiting = append(p.waiting, w)
	p.mu.Unlock()
	return w
}

func (p *pingWaiters) remove(w *pingWaiter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.waiting {
		if x == w {
			p.waiting = append(p.waiting[:i], p.waiting[i+1:]...)
			return
		}
	}
}

// wake releases every waiter whose ping carried payload.
func (p *pingWaiters) wake(payload []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.waiting[:0]
	for _, w := range p.waiting {
		if w.payload == string(payload) {
			close(w.done)
		} else {
			kept = append(kept, w)
		}
	}
	clear(p.waiting[len(kept):])
	p.waiting = kept
}

// Ping sends a ping with payload (at most 125 bytes) and waits for the pong
// that echoes it. The pong is seen by whichever goroutine is reading, so
// Ping returns only while some goroutine reads the connection; otherwise
// it waits until ctx ends.
//
// On a Conn from Dial in the browser (js/wasm) it returns an error: the
// browser answers the server's pings itself and sends none of its own.
func (c *Conn) Ping(ctx context.Context, payload []byte) error {
	if err := c.checkPing(); err != nil {
		return err
	}
	if len(payload) > wsframe.MaxControlPayload {
		return fmt.Errorf("fastws: Ping: %w", wsframe.ErrControlTooLong)
	}
	w := c.pings.add(payload)
	defer c.pings.remove(w)
	if err := c.writeControl(ctx, wsframe.OpPing, payload); err != nil {
		return err
	}
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.closed:
		return ErrClosed
	}
}
