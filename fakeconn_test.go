package fastws

import (
	"bytes"
	"io"
	"net"
	"time"

	"github.com/fastws/fastws/internal/bufpool"
)

// fakeConn is an in-memory net.Conn for parser tests and fuzzing: reads
// come from in (through onRead when set), writes collect in out.
type fakeConn struct {
	in     io.Reader
	out    bytes.Buffer
	onRead func(c *fakeConn) // called before the first read
	read   bool
	closed bool
}

func (c *fakeConn) Read(p []byte) (int, error) {
	if !c.read && c.onRead != nil {
		c.onRead(c)
	}
	c.read = true
	return c.in.Read(p)
}
func (c *fakeConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *fakeConn) Close() error                     { c.closed = true; return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

func putBuffer(b *[]byte) { bufpool.Put(b) }
