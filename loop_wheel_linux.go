//go:build linux

package fastws

import "time"

// A loop's timers (handshake, closing handshake, heartbeat, idle) live on
// a hashed wheel: each connection has at most one live entry, for the
// earliest moment it needs a look, and moving that moment later costs
// nothing until the entry comes up (it is then put back further on).
const (
	wheelSlots = 512
	wheelTick  = 5 * time.Millisecond
)

type wheelEntry struct {
	c  *loopConn
	at int64
}

type timerWheel struct {
	slots [wheelSlots][]wheelEntry
	spare []wheelEntry // a slot's array, handed to the next slot that comes up
	done  int64        // the last tick processed
	n     int          // entries, live or stale
}

func (w *timerWheel) init(now int64) { w.done = now / int64(wheelTick) }

// waitMillis is how long the loop may sleep in epoll_wait: a tick when
// timers are pending, else until something happens.
func (w *timerWheel) waitMillis() int {
	if w.n == 0 {
		return -1
	}
	return int(wheelTick / time.Millisecond)
}

// schedule asks for a look at c at time at (Unix nanoseconds), unless one
// is due earlier.
func (w *timerWheel) schedule(c *loopConn, at int64) {
	if c.timerAt != 0 && c.timerAt <= at {
		return
	}
	c.timerAt = at
	// A time already past goes in the next slot to be processed, not a
	// whole turn of the wheel later.
	t := max(at/int64(wheelTick), w.done+1)
	i := t % wheelSlots
	w.slots[i] = append(w.slots[i], wheelEntry{c, at})
	w.n++
}

// advance runs fire for each connection whose time has come.
func (w *timerWheel) advance(now int64, fire func(*loopConn)) {
	last := now / int64(wheelTick)
	first := w.done + 1
	if last-first >= wheelSlots {
		first = last - wheelSlots + 1
	}
	w.done = last
	for t := first; t <= last; t++ {
		i := t % wheelSlots
		due := w.slots[i]
		if len(due) == 0 {
			continue
		}
		// The slot gets the spare array and due becomes the next spare:
		// entries that go back into the slot, and the next turns',
		// reuse arrays instead of allocating (every turn of a busy loop
		// comes here).
		w.slots[i], w.spare = w.spare[:0], nil
		w.n -= len(due)
		for _, e := range due {
			switch {
			case e.c.timerAt != e.at:
				// Stale: the connection moved its time or is gone.
			case e.at/int64(wheelTick) > last:
				w.slots[i] = append(w.slots[i], e) // a later turn of the wheel
				w.n++
			case e.at > now:
				// Due later in this tick: the next one looks again.
				j := (last + 1) % wheelSlots
				w.slots[j] = append(w.slots[j], e)
				w.n++
			default:
				e.c.timerAt = 0
				fire(e.c)
			}
		}
		clear(due)
		w.spare = due[:0]
	}
}
