package hub

import "sync/atomic"

// Stats are a Hub's counters, in a shape expvar.Func and slog take as
// they are. The counts since the start only grow.
type Stats struct {
	Topics        int // topics with at least one subscriber
	Subscribers   int // connections subscribed to at least one topic
	Subscriptions int // (connection, topic) pairs

	Published      int64 // messages published here, or delivered from other nodes
	Delivered      int64 // messages a subscriber's queue took (under QueueDrop it may have dropped one, counted in Dropped)
	DeliveredBytes int64 // their payload bytes
	QueuedBytes    int64 // bytes the current subscribers have queued and not yet sent
	Dropped        int64 // messages a subscriber's queue dropped or refused while it was subscribed (a session counts all its messages, the hub's and others)
	SlowCloses     int64 // subscribers closed because their queue was full (1008) or the server's memory budget spent (1013)
	Gone           int64 // subscribers removed because their connection had closed
	RelayErrors    int64 // publishes the Relay could not carry to other nodes
}

type counters struct {
	published, delivered, deliveredBytes atomic.Int64
	refused, slowCloses, gone            atomic.Int64
	relayErrors                          atomic.Int64
	droppedBefore                        atomic.Int64 // what departed subscribers had dropped
}
