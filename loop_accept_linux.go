//go:build linux

package fastws

import (
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"
)

// acceptor accepts connections without allocating: unix.Accept4 returns
// the peer's address as a Sockaddr on the heap, garbage by the next
// accept, and garbage per connection is what the collector's headroom
// multiplies into the resident memory of a server that is only adding
// idle connections.
type acceptor struct {
	lfd int
	rsa unix.RawSockaddrAny
	n   uint32
}

// accept accepts one connection, non-blocking and close-on-exec, and
// returns its descriptor and its peer (invalid for a Unix socket).
func (a *acceptor) accept() (int, netip.AddrPort, error) {
	a.n = unix.SizeofSockaddrAny
	fd, _, e := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(a.lfd), uintptr(unsafe.Pointer(&a.rsa)), uintptr(unsafe.Pointer(&a.n)),
		unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if e != 0 {
		return -1, netip.AddrPort{}, e
	}
	return int(fd), a.peer(), nil
}

// peer decodes the address accept stored.
func (a *acceptor) peer() netip.AddrPort {
	switch a.rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&a.rsa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), networkPort(&sa.Port))
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(&a.rsa))
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), networkPort(&sa.Port))
	}
	return netip.AddrPort{}
}

// networkPort reads a port stored in network byte order.
func networkPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}
