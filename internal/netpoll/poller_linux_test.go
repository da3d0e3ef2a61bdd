package netpoll

import (
	"testing"

	"golang.org/x/sys/unix"
)

// pair returns the two ends of a non-blocking Unix stream socket pair.
func pair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fds[0]); unix.Close(fds[1]) })
	return fds[0], fds[1]
}

// ready waits up to msec milliseconds and returns how many times fd was
// reported readable.
func ready(t *testing.T, p *Poller, fd, msec int) int {
	t.Helper()
	events := make([]Event, 8)
	n, err := p.Wait(events, msec)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, ev := range events[:n] {
		if int(ev.Fd) == fd && ev.Events&Readable != 0 {
			count++
		}
	}
	return count
}

func send(t *testing.T, fd int) {
	t.Helper()
	if _, err := unix.Write(fd, []byte{1}); err != nil {
		t.Fatal(err)
	}
}

// Level-triggered, a socket with unread data is reported by every Wait;
// edge-triggered, once per arrival, and again when Modify re-arms it
// while it holds data, which the event loops rely on when reads resume.
func TestTriggering(t *testing.T) {
	for _, edge := range []bool{false, true} {
		newPoller := New
		if edge {
			newPoller = NewEdgeTriggered
		}
		p, err := newPoller()
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		a, b := pair(t)
		if err := p.Add(a, false); err != nil {
			t.Fatal(err)
		}
		if n := ready(t, p, a, 0); n != 0 {
			t.Fatalf("edge %v: reported %d times before any data", edge, n)
		}
		send(t, b)
		if n := ready(t, p, a, 1000); n != 1 {
			t.Fatalf("edge %v: reported %d times after data arrived, want 1", edge, n)
		}
		want := 1 // level: still unread
		if edge {
			want = 0 // the edge was reported
		}
		if n := ready(t, p, a, 20); n != want {
			t.Fatalf("edge %v: unread data reported %d times by the next Wait, want %d", edge, n, want)
		}
		if edge {
			send(t, b)
			if n := ready(t, p, a, 1000); n != 1 {
				t.Fatalf("a second arrival reported %d times, want 1", n)
			}
			if err := p.Modify(a, false, false); err != nil {
				t.Fatal(err)
			}
			if err := p.Modify(a, true, false); err != nil {
				t.Fatal(err)
			}
			if n := ready(t, p, a, 1000); n != 1 {
				t.Fatalf("re-armed with data waiting: reported %d times, want 1", n)
			}
		}
		if err := p.Wake(); err != nil {
			t.Fatal(err)
		}
		events := make([]Event, 8)
		n, err := p.Wait(events, 1000)
		if err != nil {
			t.Fatal(err)
		}
		woken := false
		for i := range events[:n] {
			woken = woken || p.IsWake(&events[i])
		}
		if !woken {
			t.Errorf("edge %v: Wake did not end the Wait", edge)
		}
	}
}
