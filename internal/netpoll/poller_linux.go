// Package netpoll is the part of the event-loop driver that talks to the
// kernel: an epoll instance, level- or edge-triggered, with an eventfd
// that wakes it from other goroutines. It knows nothing of WebSockets.
package netpoll

import (
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Event is one readiness report: the descriptor and what it is ready for.
type Event = unix.EpollEvent

// The readiness bits of an Event.
const (
	Readable = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR
	Writable = unix.EPOLLOUT | unix.EPOLLHUP | unix.EPOLLERR
)

// Poller is one epoll instance. Add, Modify, Remove and Wake may be called
// from any goroutine; Wait from one.
type Poller struct {
	epfd  int
	efd   int
	edge  uint32 // EPOLLET, or 0
	woken atomic.Bool
}

// New returns a level-triggered Poller with its wake-up descriptor
// registered: a descriptor is reported by every Wait while it is ready.
func New() (*Poller, error) { return newPoller(0) }

// NewEdgeTriggered returns a Poller that reports a descriptor when it
// becomes ready (EPOLLET): when data arrives, when the peer hangs up,
// when room to write appears after a write was refused, and when Add or
// Modify finds it ready. Its user must read until a read comes back
// short (or would block) and write until a write would block, or hear
// nothing more. The wake-up descriptor stays level-triggered.
func NewEdgeTriggered() (*Poller, error) { return newPoller(unix.EPOLLET) }

func newPoller(edge uint32) (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	p := &Poller{epfd: epfd, efd: efd, edge: edge}
	if err := p.ctl(unix.EPOLL_CTL_ADD, efd, unix.EPOLLIN); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

func (p *Poller) ctl(op, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	return unix.EpollCtl(p.epfd, op, fd, &ev)
}

func (p *Poller) interest(read, write bool) uint32 {
	ev := p.edge
	if read {
		ev |= unix.EPOLLIN | unix.EPOLLRDHUP
	}
	if write {
		ev |= unix.EPOLLOUT
	}
	return ev
}

// Add watches fd for reading, and for writing too when write is set.
func (p *Poller) Add(fd int, write bool) error {
	return p.ctl(unix.EPOLL_CTL_ADD, fd, p.interest(true, write))
}

// Modify changes what fd is watched for. Without read, the peer's
// half-close is not reported either (level-triggered, it would be
// reported on every Wait); a full hang-up and errors always are.
// Edge-triggered, Modify reports fd at once if it is ready for what it
// now asks.
func (p *Poller) Modify(fd int, read, write bool) error {
	return p.ctl(unix.EPOLL_CTL_MOD, fd, p.interest(read, write))
}

// Remove stops watching fd.
func (p *Poller) Remove(fd int) error {
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

// Wait fills events with what is ready, waiting at most msec
// milliseconds (-1: until something is). It reports the wake-up
// descriptor like any other; IsWake tells it apart.
func (p *Poller) Wait(events []Event, msec int) (int, error) {
	for {
		n, err := unix.EpollWait(p.epfd, events, msec)
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

// IsWake reports whether ev is the wake-up descriptor's, and if so
// consumes the wake-up: the next Wake writes to it again.
func (p *Poller) IsWake(ev *Event) bool {
	if int(ev.Fd) != p.efd {
		return false
	}
	var b [8]byte
	_, _ = unix.Read(p.efd, b[:])
	p.woken.Store(false)
	return true
}

// Wake makes a Wait in progress, or the next one, return. Wake-ups that
// come before the loop has seen the last one cost nothing.
func (p *Poller) Wake() error {
	if !p.woken.CompareAndSwap(false, true) {
		return nil
	}
	b := [8]byte{1}
	_, err := unix.Write(p.efd, b[:])
	if err == unix.EAGAIN {
		err = nil // the counter is full: a wake-up is pending anyway
	}
	return err
}

// Close releases the epoll instance and the wake-up descriptor.
func (p *Poller) Close() error {
	unix.Close(p.efd)
	return unix.Close(p.epfd)
}
