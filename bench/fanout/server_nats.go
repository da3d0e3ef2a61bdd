package fanout

import (
	"io"
	"log"

	"github.com/fastws/fastws/natsbridge"
)

// natsServer is FastwsLoop with its hub joined to the other nodes' by a
// natsbridge.Bridge: what the publisher sends here is delivered here and
// relayed, and what other nodes relay is delivered to the subscribers
// here.
type natsServer struct {
	*fastwsServer
	b *natsbridge.Bridge
}

func newNATSServer(url string) (*natsServer, error) {
	s := &natsServer{fastwsServer: newFastwsServer(true, nil)}
	b, err := natsbridge.Connect(url, s.h, &natsbridge.Options{
		// The bridge logs lost messages and reconnects; the bench
		// counts losses at the subscribers and reports the bridge's
		// counters, so the log would only interleave with the
		// process's ready line.
		ErrorLog: log.New(io.Discard, "", 0),
	})
	if err != nil {
		return nil, err
	}
	s.b = b
	return s, nil
}

func (s *natsServer) stats(st *serverStats) {
	s.fastwsServer.stats(st)
	bs := s.b.Stats()
	st.Relay = map[string]int64{
		"sent": bs.Sent, "send_errors": bs.SendErrors, "received": bs.Received,
		"delivered": bs.Delivered, "lost": bs.Lost, "duplicates": bs.Duplicates,
		"bad": bs.BadMessages, "slow_consumer_drops": bs.SlowConsumerDrops,
		"disconnects": bs.Disconnects,
	}
}
