package natsbridge

import "time"

// originTTL is how long a receiver remembers an origin it has not heard
// from: long enough that a quiet node's gaps are still seen, short
// enough that the IDs of nodes restarted over weeks do not pile up.
const originTTL = 30 * time.Minute

// originTable follows the sequence numbers of the nodes a receiver hears
// from. Only the subscription's callback goroutine uses it.
type originTable struct {
	m         map[nodeID]originState
	lastPrune time.Time
}

type originState struct {
	seq  uint64
	seen time.Time
}

// see records message seq from origin o at now. It returns how many of
// o's messages before it never arrived, and whether it is a message at or
// below one already seen, which the caller drops. The first message from
// an origin cannot tell a gap: what it sent before this node listened was
// never meant for it.
func (t *originTable) see(o nodeID, seq uint64, now time.Time) (lost uint64, dup bool) {
	if t.m == nil {
		t.m = make(map[nodeID]originState)
	}
	if now.Sub(t.lastPrune) >= originTTL/4 {
		t.prune(now)
	}
	st, ok := t.m[o]
	if !ok {
		t.m[o] = originState{seq: seq, seen: now}
		return 0, false
	}
	if seq <= st.seq {
		return 0, true
	}
	t.m[o] = originState{seq: seq, seen: now}
	return seq - st.seq - 1, false
}

// prune forgets the origins not heard from for originTTL.
func (t *originTable) prune(now time.Time) {
	t.lastPrune = now
	for o, st := range t.m {
		if now.Sub(st.seen) >= originTTL {
			delete(t.m, o)
		}
	}
}

// len is how many origins the table follows.
func (t *originTable) len() int { return len(t.m) }
