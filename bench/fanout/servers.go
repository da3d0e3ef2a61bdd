package fanout

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/fastws/fastws"
)

// The fan-out servers, by name. Each serves one endpoint on which every
// connection but the publisher's is subscribed to one topic, and
// publishes what the publisher sends to all of them, compression off
// (CompressedNames are the same servers with it on).
const (
	// FastwsLoop is a fastws.Server on its event-loop driver with a
	// hub.Hub: Publish encodes the message once (a PreparedMessage) and
	// queues the frame for every Session.
	FastwsLoop = "fastws-loop"
	// Fastws is the same Handler and hub on the goroutine driver.
	Fastws = "fastws"
	// Gws is gws.NewServer with its Broadcaster: one frame built per
	// message, pushed on every connection's write queue.
	Gws = "gws"
	// Gorilla is gorilla/websocket in the pattern of its chat example: a
	// hub goroutine owning the client set (register, unregister,
	// broadcast channels), a buffered send channel and a writePump
	// goroutine per client; the message goes through the channels as a
	// websocket.PreparedMessage, gorilla's encode-once type.
	Gorilla = "gorilla"
	// FastwsNATS is FastwsLoop with its hub joined to other nodes'
	// through natsbridge: the multi-node rows.
	FastwsNATS = "fastws-loop-nats"
)

// Names lists the servers of the main table, in the order they run and
// are reported.
var Names = []string{FastwsLoop, Fastws, Gws, Gorilla}

// Known reports whether name is a server ServeChild runs.
func Known(name string) bool {
	return slices.Contains(Names, name) || IsCompressed(name) || name == FastwsNATS || name == Floor
}

// IsFastws reports whether name is one of fastws's servers.
func IsFastws(name string) bool { return strings.HasPrefix(name, "fastws") }

// topic is the one topic every subscriber is in.
const topic = "bench"

// maxMessage is every server's read limit: above any message the
// publisher sends.
const maxMessage = 1 << 20

// serverStats is what a server process reports on its debug endpoint,
// beside the runtime's counters.
type serverStats struct {
	// Subscribers is how many connections are subscribed now.
	Subscribers int64 `json:"subscribers"`
	// Published counts the messages the server has published (from the
	// publisher or, across nodes, from other nodes).
	Published int64 `json:"published"`
	// Delivered counts the messages handed to a subscriber's queue,
	// where the server counts them (fastws's hub).
	Delivered int64 `json:"delivered"`
	// Dropped counts what the server gave up on for slow subscribers:
	// messages dropped from their queues (fastws, QueueDropOldest), or
	// subscribers dropped because their channel was full (gorilla); gws
	// drops nothing (its write queues have no bound).
	Dropped int64 `json:"dropped"`
	// DroppedUnit says what Dropped counts: "messages" or "subscribers".
	DroppedUnit string `json:"dropped_unit,omitempty"`
	// Queued is the payload bytes queued for subscribers and not yet
	// written, where the server can tell (fastws).
	Queued int64 `json:"queued"`
	// Relay is the NATS bridge's counters, on the multi-node servers.
	Relay map[string]int64 `json:"relay,omitempty"`

	// The Go runtime's counters (runtime.MemStats), for allocations
	// per delivery.
	Mallocs    uint64 `json:"mallocs"`
	TotalAlloc uint64 `json:"total_alloc"`
	NumGC      uint32 `json:"num_gc"`
	Goroutines int    `json:"goroutines"`
}

// fanoutServer is one library's fan-out server.
type fanoutServer interface {
	// serve serves ln until the process ends.
	serve(ln net.Listener) error
	// stats fills in the server's own counters.
	stats(st *serverStats)
}

// newServer returns the server called name; natsURL is the NATS server
// FastwsNATS joins.
func newServer(name, natsURL string) (fanoutServer, error) {
	switch name {
	case FastwsLoop:
		return newFastwsServer(true, nil), nil
	case Fastws:
		return newFastwsServer(false, nil), nil
	case Gws:
		return newGwsServer(false), nil
	case Gorilla:
		return newGorillaServer(false), nil
	case FastwsLoopDeflate:
		return newFastwsServer(true, &fastws.CompressionOptions{}), nil
	case FastwsLoopDeflateShared:
		return newFastwsServer(true, &fastws.CompressionOptions{ServerNoContextTakeover: true}), nil
	case GwsDeflate:
		return newGwsServer(true), nil
	case GorillaDeflate:
		return newGorillaServer(true), nil
	case Floor:
		return newFloorServer(), nil
	case FastwsNATS:
		if natsURL == "" {
			return nil, fmt.Errorf("%s needs a NATS server URL", name)
		}
		return newNATSServer(natsURL)
	}
	return nil, fmt.Errorf("unknown server %q (have %s, %s, %s)", name, strings.Join(Names, ", "), strings.Join(CompressedNames, ", "), FastwsNATS)
}
