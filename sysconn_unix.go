//go:build unix && (!linux || race)

package fastws

import "syscall"

// sysRead and sysWritev go through package syscall: its system calls are
// the portable ones, and it tells the race detector that a write to a
// socket happens before the read that receives it. p and a are never
// empty.

func sysRead(fd uintptr, p []byte) (int, syscall.Errno) {
	n, err := syscall.Read(int(fd), p)
	return n, errnoOf(err)
}

// sysWritev writes a; b, if any, goes with the next call.
func sysWritev(fd uintptr, a, _ []byte) (int, syscall.Errno) {
	n, err := syscall.Write(int(fd), a)
	return n, errnoOf(err)
}

func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if errno, ok := err.(syscall.Errno); ok {
		return errno
	}
	return syscall.EIO
}
