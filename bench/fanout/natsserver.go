package fanout

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/fastws/fastws/bench/harness"
	"github.com/fastws/fastws/bench/procstat"
	"github.com/nats-io/nats-server/v2/server"
)

// natsServerName is the child process that runs the NATS server of the
// multi-node section: a process of its own, so that its CPU time is read
// from /proc like the WebSocket servers', apart from the bench's.
const natsServerName = "nats-server"

// serveNATS runs a NATS server (nats-server v2, embedded, default
// options: no clustering, no JetStream, no auth) on addr, a loopback
// address, prints the ready line and serves until the process is killed.
func serveNATS(addr string, stdout io.Writer) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return err
	}
	if p == 0 {
		p = server.RANDOM_PORT
	}
	nofile, err := procstat.RaiseFileLimit()
	if err != nil {
		return err
	}
	ns, err := server.NewServer(&server.Options{
		Host: host, Port: p, NoLog: true, NoSigs: true,
		// The bench has no HTTP monitoring, cluster or leaf ports.
		HTTPPort: 0,
	})
	if err != nil {
		return err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		return errors.New("the NATS server is not ready after 10 s")
	}
	a, ok := ns.Addr().(*net.TCPAddr)
	if !ok {
		return fmt.Errorf("the NATS server listens on %v", ns.Addr())
	}
	// The debug field is the same address: nothing reads it.
	fmt.Fprintf(stdout, "%s%s debug %s nofile %d\n", harness.ReadyPrefix, a, a, nofile)
	ns.WaitForShutdown()
	return errors.New("the NATS server shut down")
}
