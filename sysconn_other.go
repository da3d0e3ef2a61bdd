//go:build !unix

package fastws

// sysConn is unused where there are no Unix sockets: every transport goes
// through its own Read and Write.
type sysConn struct {
	raw   any  // always nil
	again bool // never set
}

func (s *sysConn) init(*Conn, any) {}

func (s *sysConn) read([]byte) (int, error) { panic("fastws: no system calls here") }

func (s *sysConn) write(_, _ []byte) error { panic("fastws: no system calls here") }
