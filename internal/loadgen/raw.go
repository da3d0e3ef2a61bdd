package loadgen

import (
	"net"
	"time"
)

// DialUpgraded connects to addr and performs the client opening handshake
// (no subprotocol, no extension), and returns the connection left in Go's
// network poller, with no deadline: for measurements that open
// connections and then hold or misuse them rather than drive them, such
// as the connection-setup and stalled-peer sections of echobench.
func DialUpgraded(addr string, timeout time.Duration) (net.Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	if err := nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		nc.Close()
		return nil, err
	}
	if _, err := clientHandshake(nc, addr, "/", "", 0); err != nil {
		nc.Close()
		return nil, err
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}
