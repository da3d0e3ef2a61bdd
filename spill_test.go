package fastws

import (
	"bytes"
	"testing"
)

// gather hands back what a spill holds as one slice: its only chunk, or
// the chunks copied into one, with a trailing empty chunk dropped; the
// memory budget sees every chunk taken and, after settle, none.
func TestSpillGather(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first int
		parts []int // bytes written, each part into a fresh space()
		empty bool  // then one more space() that stays empty
	}{
		{"one chunk", 0, []int{100}, false},
		{"one chunk and an empty one", 16 << 10, []int{16 << 10}, true},
		{"several chunks", 0, []int{4 << 10, 4 << 10, 3000}, false},
		{"several chunks and an empty one", 0, []int{4 << 10, 4 << 10}, true},
		{"nothing", 0, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			budget := NewMemoryBudget(1 << 20)
			sp := spill{budget: budget, first: tc.first}
			var want []byte
			for i, n := range tc.parts {
				room := sp.space()
				if len(room) < n {
					t.Fatalf("part %d: %d bytes of room, want %d", i, len(room), n)
				}
				for j := range n {
					room[j] = byte(i*7 + j)
				}
				want = append(want, room[:n]...)
				sp.commit(n)
			}
			if tc.empty {
				sp.space()
				sp.commit(0)
			}
			got, ok := sp.gather()
			if !ok || !bytes.Equal(got, want) {
				t.Fatalf("gather: %d bytes, %v; want %d bytes", len(got), ok, len(want))
			}
			if len(sp.chunks) > 1 {
				t.Errorf("%d chunks after gather", len(sp.chunks))
			}
			if used := budget.InUse(); used != sp.chunkBytes {
				t.Errorf("budget in use %d, chunks %d", used, sp.chunkBytes)
			}
			sp.settle()
			if used := budget.InUse(); used != 0 {
				t.Errorf("budget in use %d after settle", used)
			}
		})
	}
}

// A gather that the budget cannot pay for fails and leaves the chunks to
// settle.
func TestSpillGatherOverBudget(t *testing.T) {
	budget := NewMemoryBudget(12 << 10)
	sp := spill{budget: budget}
	for range 2 {
		room := sp.space()
		if room == nil {
			t.Fatal("no room")
		}
		sp.commit(4 << 10)
	}
	if _, ok := sp.gather(); ok {
		t.Fatal("gather of 8 KiB past a 12 KiB budget holding 8 KiB succeeded")
	}
	sp.settle()
	if used := budget.InUse(); used != 0 {
		t.Errorf("budget in use %d after settle", used)
	}
}
