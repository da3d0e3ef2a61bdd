package natsbridge

import (
	"testing"
	"time"
)

func TestOriginTable(t *testing.T) {
	var tab originTable
	a, b := nodeID{1}, nodeID{2}
	now := time.Unix(1_000_000, 0)
	for i, c := range []struct {
		o    nodeID
		seq  uint64
		lost uint64
		dup  bool
	}{
		{a, 5, 0, false}, // the first from an origin shows no gap
		{a, 6, 0, false},
		{a, 9, 2, false},
		{a, 9, 0, true},
		{a, 7, 0, true},
		{b, 1, 0, false}, // origins are followed apart
		{a, 10, 0, false},
		{b, 3, 1, false},
	} {
		lost, dup := tab.see(c.o, c.seq, now)
		if lost != c.lost || dup != c.dup {
			t.Errorf("%d: see(%x, %d) = %d, %v, want %d, %v", i, c.o[0], c.seq, lost, dup, c.lost, c.dup)
		}
	}
	if tab.len() != 2 {
		t.Fatalf("following %d origins, want 2", tab.len())
	}

	// An origin quiet for originTTL is forgotten, so restarted nodes do
	// not pile up; the next message from it starts afresh.
	tab.see(b, 4, now.Add(originTTL/2))
	if lost, _ := tab.see(b, 5, now.Add(originTTL+time.Minute)); lost != 0 || tab.len() != 1 {
		t.Fatalf("after a's silence: lost %d, following %d origins, want 0 and 1", lost, tab.len())
	}
	if lost, dup := tab.see(a, 20, now.Add(originTTL+time.Minute)); lost != 0 || dup {
		t.Errorf("a forgotten origin: lost %d, dup %v", lost, dup)
	}
}
