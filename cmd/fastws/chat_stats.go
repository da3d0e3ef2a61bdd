package main

import (
	"math"
	"net/http"
	"time"

	"github.com/fastws/fastws"
)

// chatStats is the stats message, pushed every second to the connections
// opened as /chat?stats=1 (the page's live panel), and the body of GET
// /stats. It is this node's view: with -nats each node counts its own
// connections.
type chatStats struct {
	Type           string  `json:"type"`           // "stats"
	Node           string  `json:"node"`           // this node's random name
	Nodes          int     `json:"nodes"`          // this node and the others it hears from
	Connections    int64   `json:"connections"`    // chat connections open here
	Users          int     `json:"users"`          // of them, those in a room
	Rooms          int     `json:"rooms"`          // rooms with someone in them here
	MessagesPerSec float64 `json:"messagesPerSec"` // chat messages said here, a second
	InPerSec       float64 `json:"inPerSec"`       // WebSocket messages received, a second
	OutPerSec      float64 `json:"outPerSec"`      // WebSocket messages sent, a second
	Dropped        int64   `json:"dropped"`        // messages slow readers lost, since the start
}

// chatCounters are the counts the rates are computed from.
type chatCounters struct {
	said, in, out int64
}

func (svc *chatService) counters() chatCounters {
	st := svc.srv.Stats()
	return chatCounters{said: svc.said.Load(), in: st.MessagesIn, out: st.MessagesOut}
}

// publishStats computes the stats from the counts a period d apart and
// delivers them to this node's subscribers.
func (svc *chatService) publishStats(prev, cur chatCounters, d time.Duration) {
	st := svc.srv.Stats()
	s := &chatStats{
		Type: "stats", Node: svc.node, Connections: st.Open, Dropped: st.Dropped,
		MessagesPerSec: perSecond(cur.said-prev.said, d),
		InPerSec:       perSecond(cur.in-prev.in, d),
		OutPerSec:      perSecond(cur.out-prev.out, d),
	}
	svc.mu.Lock()
	s.Nodes, s.Rooms = 1+len(svc.nodes), len(svc.rooms)
	for _, here := range svc.rooms {
		s.Users += len(here)
	}
	svc.mu.Unlock()
	svc.lastStats.Store(s)
	pm, err := fastws.NewPreparedMessage(fastws.Text, encode(s))
	if err != nil {
		panic(err) // encoding/json writes valid UTF-8
	}
	svc.hub.Deliver(statsTopic, pm)
}

// perSecond is n over d, to a tenth.
func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(n)/d.Seconds()*10) / 10
}

// serveStats answers GET /stats with the latest stats, for a monitor or
// curl.
func (svc *chatService) serveStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(encode(svc.lastStats.Load()))
}
