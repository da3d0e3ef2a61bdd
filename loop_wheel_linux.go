//go:build linux

package fastws

import (
	"math/bits"
	"time"
)

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
	busy  [wheelSlots / 64]uint64 // bit i: slots[i] has entries
	spare []wheelEntry            // a slot's array, handed to the next slot that comes up
	done  int64                   // the last tick processed
	n     int                     // entries, live or stale
}

func (w *timerWheel) init(now int64) { w.done = now / int64(wheelTick) }

// waitMillis is how long the loop may sleep in epoll_wait at time now:
// until the start of the next tick whose slot has entries, else until
// something happens. A loop whose connections have timers far off (a
// heartbeat every 30 s, a handshake deadline left behind by a finished
// handshake) sleeps until then, instead of waking every tick: an idle
// server costs no CPU.
func (w *timerWheel) waitMillis(now int64) int {
	if w.n == 0 {
		return -1
	}
	t, ok := w.nextBusy(w.done + 1)
	if !ok {
		return -1
	}
	d := t*int64(wheelTick) - now
	if d <= 0 {
		return 0
	}
	return int((d + int64(time.Millisecond) - 1) / int64(time.Millisecond))
}

// nextBusy returns the first tick from tick from on whose slot has
// entries, within one turn of the wheel.
func (w *timerWheel) nextBusy(from int64) (int64, bool) {
	for d := int64(0); d < wheelSlots; {
		i := (from + d) % wheelSlots
		if word := w.busy[i/64] >> (i % 64); word != 0 {
			// The words are aligned and the wheel is a whole number
			// of them: a bit found here is in this word.
			return from + d + int64(bits.TrailingZeros64(word)), true
		}
		d += 64 - i%64
	}
	return 0, false
}

// add puts e in slot i.
func (w *timerWheel) add(i int64, e wheelEntry) {
	w.slots[i] = append(w.slots[i], e)
	w.busy[i/64] |= 1 << (i % 64)
	w.n++
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
	w.add(t%wheelSlots, wheelEntry{c, at})
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
		// The slot gets the spare array while its entries are looked
		// at, since a timer that fires may schedule into it. The
		// entries for a later turn are kept in place in due, which
		// then goes back to the slot: a wheel whose entries wait for
		// later turns (a heartbeat, a deadline seconds away) moves
		// them without allocating.
		w.slots[i], w.spare = w.spare[:0], nil
		w.busy[i/64] &^= 1 << (i % 64)
		w.n -= len(due)
		kept := due[:0]
		for _, e := range due {
			switch {
			case e.c.timerAt != e.at:
				// Stale: the connection moved its time or is gone.
			case e.at/int64(wheelTick) > last:
				kept = append(kept, e) // a later turn of the wheel
			case e.at > now:
				// Due later in this tick: the next one looks again.
				w.add((last+1)%wheelSlots, e)
			default:
				e.c.timerAt = 0
				fire(e.c)
			}
		}
		clear(due[len(kept):])
		if added := w.slots[i]; len(added) == 0 {
			w.slots[i], w.spare = kept, added[:0]
		} else {
			// A fired timer scheduled into this slot (after a sleep
			// of a whole turn): both sets stay.
			w.slots[i] = append(added, kept...)
			clear(kept)
			w.spare = kept[:0]
		}
		if len(w.slots[i]) > 0 {
			w.busy[i/64] |= 1 << (i % 64)
		}
		w.n += len(kept)
	}
}
