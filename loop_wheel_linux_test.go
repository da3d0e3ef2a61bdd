//go:build linux

package fastws

import (
	"testing"
	"time"
)

// TestWheelSleepsUntilItsNextTimer checks that a loop sleeps until the
// next tick whose slot has entries, not a tick at a time: an idle server
// whose connections have far timers does not wake 200 times a second.
func TestWheelSleepsUntilItsNextTimer(t *testing.T) {
	tick := int64(wheelTick)
	now := 1000 * tick
	var w timerWheel
	w.init(now)
	if got := w.waitMillis(now); got != -1 {
		t.Fatalf("empty wheel: wait %d ms, want -1 (until something happens)", got)
	}

	// 30 s ahead is 6,000 ticks: slot 7000 % 512 = 344, first reached
	// at tick 1368, 368 ticks from now.
	far := &loopConn{}
	w.schedule(far, now+int64(30*time.Second))
	if got, want := w.waitMillis(now), 368*5; got != want {
		t.Fatalf("one timer 30 s ahead: wait %d ms, want %d", got, want)
	}
	fired := 0
	w.advance(1368*tick, func(*loopConn) { fired++ })
	if fired != 0 || w.n != 1 {
		t.Fatalf("at tick 1368: fired %d, %d entries; want 0 and 1 (a later turn)", fired, w.n)
	}
	if got, want := w.waitMillis(1368*tick), 512*5; got != want {
		t.Fatalf("after a turn: wait %d ms, want %d (one turn)", got, want)
	}

	// A near timer comes first; it fires within a tick of its time.
	now = 1368 * tick
	near := &loopConn{}
	at := now + int64(12*time.Millisecond)
	w.schedule(near, at)
	if got := w.waitMillis(now); got != 10 {
		t.Fatalf("a timer 12 ms ahead: wait %d ms, want 10 (the start of its tick)", got)
	}
	var got []*loopConn
	w.advance(now+int64(10*time.Millisecond), func(c *loopConn) { got = append(got, c) })
	if len(got) != 0 {
		t.Fatal("fired 2 ms early")
	}
	if wait := w.waitMillis(now + int64(10*time.Millisecond)); wait != 5 {
		t.Fatalf("due later in its tick: wait %d ms, want 5 (the next tick)", wait)
	}
	w.advance(now+int64(15*time.Millisecond), func(c *loopConn) { got = append(got, c) })
	if len(got) != 1 || got[0] != near || near.timerAt != 0 {
		t.Fatalf("at its time: fired %d, timerAt %d", len(got), near.timerAt)
	}

	// A stale entry (the connection moved on) is dropped when its slot
	// comes up; then the wheel is empty again.
	far.timerAt = 0
	w.advance(now+int64(3*time.Second), func(*loopConn) { t.Fatal("a stale entry fired") })
	if w.n != 0 || w.waitMillis(now+int64(3*time.Second)) != -1 {
		t.Fatalf("after the stale entry's slot: %d entries, wait %d", w.n, w.waitMillis(now+int64(3*time.Second)))
	}
	for i, word := range w.busy {
		if word != 0 {
			t.Errorf("busy word %d is %#x with no entries", i, word)
		}
	}
}

// TestWheelAllocatesNothingForLaterTurns checks that entries waiting for
// a later turn of the wheel (a heartbeat or deadline seconds away) are
// carried from turn to turn in their slot's array, without allocating.
func TestWheelAllocatesNothingForLaterTurns(t *testing.T) {
	skipUnderRace(t)
	tick := int64(wheelTick)
	now := 1000 * tick
	var w timerWheel
	w.init(now)
	// Slot k gets k+1 entries: a slot's array is never the size of the
	// one processed before it.
	var conns []*loopConn
	for k := range 20 {
		for range k + 1 {
			c := &loopConn{}
			conns = append(conns, c)
			w.schedule(c, now+int64(time.Minute)+int64(k)*tick)
		}
	}
	turn := int64(wheelSlots) * tick
	now += turn // the first turn settles the arrays
	w.advance(now, func(*loopConn) { t.Fatal("fired a minute early") })
	allocs := testing.AllocsPerRun(5, func() {
		now += turn
		w.advance(now, func(*loopConn) { t.Fatal("fired a minute early") })
	})
	if allocs != 0 || w.n != len(conns) {
		t.Errorf("a turn of the wheel allocated %v times, %d entries left; want 0 and %d", allocs, w.n, len(conns))
	}
}
