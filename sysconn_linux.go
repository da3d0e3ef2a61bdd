//go:build linux && !race

package fastws

import (
	"syscall"
	"unsafe"
)

// sysRead and sysWritev make the system calls directly rather than through
// syscall.Read and syscall.Write: two stack frames fewer on the paths whose
// depth decides a connection's stack size (see sysConn). p and a are never
// empty. Under the race detector the portable versions are used instead
// (sysconn_unix.go): syscall's tell the detector that a write to a socket
// happens before the read that receives it, which tests rely on.

func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, _, errno := syscall.Syscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(n), errno
}

// sysWritev writes a, then b if it is not empty, in one system call.
func sysWritev(fd uintptr, a, b []byte) (int, syscall.Errno) {
	if len(b) == 0 {
		n, _, errno := syscall.Syscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&a[0])), uintptr(len(a)))
		return int(n), errno
	}
	iov := [2]syscall.Iovec{{Base: &a[0]}, {Base: &b[0]}}
	iov[0].SetLen(len(a))
	iov[1].SetLen(len(b))
	n, _, errno := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&iov[0])), 2)
	return int(n), errno
}
