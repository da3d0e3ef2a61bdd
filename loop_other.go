//go:build !linux

package fastws

import "net"

// The event loops exist on Linux only; elsewhere every Server runs its
// connections on goroutines.

type loopGroup struct{}

func (*loopGroup) close() {}

func loopsSupported(net.Listener) bool { return false }

func (s *Server) serveLoops(net.Listener) error { return errLoopsUnavailable }

func (s *Server) adopt(net.Conn, *handshakeResult, *OpenRequest) bool { return false }
