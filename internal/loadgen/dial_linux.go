package loadgen

import (
	"net"
	"syscall"
	"time"
)

// dialWebSocket connects to addr, performs the client handshake (no
// subprotocol; no extension, or with offer set, that permessage-deflate
// offer) and returns a non-blocking, close-on-exec file descriptor for
// the connection, which from then on belongs to the caller alone: the
// net.Conn used for the handshake is closed, so Go's network poller no
// longer watches the socket. It also returns the server's
// Sec-WebSocket-Extensions value.
func dialWebSocket(addr, host, path string, timeout time.Duration, offer string, size int) (fd int, ext string, err error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return -1, "", err
	}
	defer nc.Close()
	if err := nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return -1, "", err
	}
	if ext, err = clientHandshake(nc, host, path, offer, size); err != nil {
		return -1, "", err
	}
	// Deadlines live in Go's poller, not in the socket; clear it anyway
	// so nothing of the handshake lingers.
	_ = nc.SetDeadline(time.Time{})
	raw, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		return -1, "", err
	}
	fd = -1
	var dupErr error
	err = raw.Control(func(s uintptr) {
		// The duplicate shares the socket, which Go made non-blocking
		// and TCP_NODELAY; close-on-exec keeps it out of the servers
		// the harness starts.
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			dupErr = e
			return
		}
		fd = int(r)
	})
	if err == nil {
		err = dupErr
	}
	if err != nil {
		return -1, "", err
	}
	return fd, ext, nil
}
