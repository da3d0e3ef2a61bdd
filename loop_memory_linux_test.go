//go:build linux

package fastws

import (
	"testing"
	"unsafe"

	"github.com/fastws/fastws/wsframe"
)

// An idle connection on a loop is its loopConn and its Parser (no
// buffer, no goroutine): issue 14 holds it under 0.5 KiB. The heap rounds
// each up to its size class (352 and 144 bytes today); the bench measures
// the RSS per connection with 10,000 of them.
func TestLoopIdleConnectionSize(t *testing.T) {
	conn, parser := unsafe.Sizeof(loopConn{}), unsafe.Sizeof(wsframe.Parser{})
	t.Logf("loopConn %d bytes, Parser %d bytes", conn, parser)
	if conn+parser > 480 {
		t.Errorf("an idle loop connection is %d + %d bytes, more than the 480 that size classes round to 0.5 KiB", conn, parser)
	}
}
