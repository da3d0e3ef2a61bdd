//go:build linux

package fastws

import (
	"testing"
	"unsafe"

	"github.com/fastws/fastws/wsframe"
)

// An idle connection on a loop is its loopConn and its Parser (no
// buffer, no goroutine): issue 14 holds it under 0.5 KiB of heap. The
// bench measures the RSS per connection with 10,000 of them, which adds
// the collector's headroom.
func TestLoopIdleConnectionSize(t *testing.T) {
	conn, parser := sizeClass(unsafe.Sizeof(loopConn{})), sizeClass(unsafe.Sizeof(wsframe.Parser{}))
	t.Logf("loopConn %d bytes, Parser %d bytes, as allocated", conn, parser)
	if conn+parser > 512 {
		t.Errorf("an idle loop connection takes %d + %d bytes of heap, more than 512", conn, parser)
	}
}

// sizeClass is what Go's allocator rounds n up to, for the sizes that
// matter here: multiples of 16 up to 256 bytes, of 32 up to 512.
func sizeClass(n uintptr) uintptr {
	if n <= 256 {
		return (n + 15) &^ 15
	}
	return (n + 31) &^ 31
}
