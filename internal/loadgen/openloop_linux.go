package loadgen

import (
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The open loop (Config.Rate): a loop's sends go round its connections in
// turn, one every l.interval, so each connection sends once per period
// (interval × connections). A connection whose echo is still out when
// its turn comes counts the send as pending and makes it the moment the
// echo is in, its sentAt set to when it was due: the latency recorded
// includes the wait, which is what a user of a slow server would see
// (no coordinated omission).

// startSchedule arms the loop's timer for its first send, now.
func (l *loop) startSchedule() error {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return fmt.Errorf("loadgen: timerfd_create: %w", err)
	}
	l.timerfd = fd
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: timerIndex}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return err
	}
	l.nextDue = time.Now()
	return l.sendDue()
}

// sendDue makes every send that has come due, then arms the timer for the
// next one.
func (l *loop) sendDue() error {
	var expirations [8]byte
	_, _ = syscall.Read(l.timerfd, expirations[:]) // clear the readiness; the count is not needed
	now := time.Now()
	for !l.nextDue.After(now) {
		i := l.nextConn
		c := l.conns[i]
		switch {
		case c.done:
		case !c.inFlight:
			c.inFlight = true
			c.sentAt = l.nextDue
			c.sent = 0
			if err := l.handle(i, c, l.write(i, c)); err != nil {
				return err
			}
		default:
			if c.pending == 0 {
				c.pendingDue = l.nextDue
			}
			c.pending++
		}
		if l.nextConn++; l.nextConn == len(l.conns) {
			l.nextConn = 0
		}
		l.nextDue = l.nextDue.Add(l.interval)
	}
	return l.armTimer(l.nextDue.Sub(now))
}

// sendPending is called when c's echo is in: it sends the oldest pending
// message at once, timed from when it was due, or leaves c idle.
func (l *loop) sendPending(i int, c *conn) error {
	if c.pending == 0 {
		c.inFlight = false
		return nil
	}
	c.pending--
	c.sentAt = c.pendingDue
	c.pendingDue = c.pendingDue.Add(l.interval * time.Duration(len(l.conns)))
	c.sent = 0
	return l.write(i, c)
}

// armTimer makes the timerfd fire once after d (at least 1 ns: zero
// would disarm it).
func (l *loop) armTimer(d time.Duration) error {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(max(int64(d), 1))}
	if err := unix.TimerfdSettime(l.timerfd, 0, &spec, nil); err != nil {
		return fmt.Errorf("loadgen: timerfd_settime: %w", err)
	}
	return nil
}
