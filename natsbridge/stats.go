package natsbridge

import "sync/atomic"

// Stats are a Bridge's counters, in a shape expvar.Func and slog take as
// they are. The counts since New only grow.
type Stats struct {
	Sent        int64 // messages handed to NATS
	SendErrors  int64 // messages that did not go: refused by Relay (closed, topic too long, over the payload limit, send buffer full) or by nats.go (disconnected beyond its reconnect buffer)
	SendDropped int64 // of SendErrors, messages Relay dropped because the send buffer was full
	SendQueued  int   // bytes in the send buffer now, waiting to be handed to nats.go

	Received          int64 // messages from NATS, whatever became of them
	Delivered         int64 // received messages handed to a local subscriber, one per subscriber
	OwnEchoesDropped  int64 // this node's own messages that came back, dropped
	Lost              int64 // messages from other nodes that never arrived, as their sequence numbers tell
	Duplicates        int64 // messages with a sequence number at or below one already seen from their origin, dropped
	BadMessages       int64 // messages that could not be decoded: another wire version, a short or malformed message, a bad subject
	SlowConsumerDrops int64 // messages nats.go dropped because delivering to the hub fell behind its pending limits

	Reconnects  int64 // times the NATS connection came back
	Disconnects int64 // times it was lost
	Origins     int   // other nodes heard from recently, whose sequence numbers are being followed
}

type counters struct {
	sent, sendErrors, sendDropped               atomic.Int64
	received, delivered, ownEchoes, lost, dupes atomic.Int64
	badMessages, reconnects, discons            atomic.Int64
	origins                                     atomic.Int64
	gaps                                        atomic.Int64 // gap events, to log now and then
}

func (c *counters) snapshot() Stats {
	return Stats{
		Sent: c.sent.Load(), SendErrors: c.sendErrors.Load(), SendDropped: c.sendDropped.Load(),
		Received: c.received.Load(), Delivered: c.delivered.Load(), OwnEchoesDropped: c.ownEchoes.Load(),
		Lost: c.lost.Load(), Duplicates: c.dupes.Load(), BadMessages: c.badMessages.Load(),
		Reconnects: c.reconnects.Load(), Disconnects: c.discons.Load(),
		Origins: int(c.origins.Load()),
	}
}
