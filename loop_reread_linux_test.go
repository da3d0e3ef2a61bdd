//go:build linux

package fastws

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// closeOnMessage ends a connection at its first message, with CloseNow
// from the handler: on the loop that takes effect when the connection
// is settled.
type closeOnMessage struct{ fuzzEcho }

func (closeOnMessage) OnMessage(s *Session, _ MessageType, _ []byte) { s.CloseNow() }

// A compressed connection is settled after the turn's reads, and a
// reread in the same turn (the first read filled the loop's buffer)
// settles it first, which may end it and close its descriptor. The read
// must not follow: the descriptor's number may already be another
// socket's, and FuzzLoopInflatedAgainstGoroutines saw a goroutine
// driver's connection in the same process lose its handshake request and
// later its frames to such a read. Here the handler's CloseNow at the
// first message ends the connection at that settle.
func TestLoopNoReadAfterSettleEnds(t *testing.T) {
	var reads, readsAfterEnd atomic.Int32
	testHookLoopRead = func(c *loopConn) {
		reads.Add(1)
		if c.state == stateDone {
			readsAfterEnd.Add(1)
		}
	}
	t.Cleanup(func() { testHookLoopRead = nil })
	_, url := startServer(t, DriverLoops, closeOnMessage{}, &ServerOptions{Loops: 1, AcceptOptions: AcceptOptions{Compression: &CompressionOptions{}}})
	addr := strings.TrimPrefix(url, "ws://")
	for range 20 {
		conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		// The request and a compressed message (an empty deflate
		// block: "" compressed) in one write, then the end of the
		// stream: the loop's first event for the connection comes
		// with the hang-up, and the read after the turn's first one
		// settles the connection before it reads.
		var b bytes.Buffer
		b.WriteString(rawUpgrade("/", "Sec-WebSocket-Extensions: permessage-deflate"))
		b.Write(maskFrame(wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpText}, []byte{0x02, 0x00}))
		if _, err := conn.Write(b.Bytes()); err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).CloseWrite()
		_, _ = io.Copy(io.Discard, conn) // until the server hangs up
		conn.Close()
	}
	if reads.Load() == 0 {
		t.Fatal("the loop never read: the hook is not on the read path")
	}
	if n := readsAfterEnd.Load(); n > 0 {
		t.Errorf("%d reads of a connection the loop had ended and whose descriptor it had closed", n)
	}
}
