package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
)

// chatConfig is what the flags of `fastws serve` set for the chat.
type chatConfig struct {
	rate             float64       // messages a second per connection; 0 for no limit
	burst            int           // messages at once per connection
	natsURL          string        // "" for a node on its own
	presenceInterval time.Duration // with other nodes: how often this node's roster goes out
	statsInterval    time.Duration // how often the stats message goes out

	// join, when set, joins the hub to the other nodes' instead of
	// natsURL's server: the tests' in-memory cluster.
	join func(h *hub.Hub, node string) (io.Closer, error)
}

func defaultChatConfig() chatConfig {
	return chatConfig{rate: defaultChatRate, burst: defaultChatBurst, presenceInterval: 5 * time.Second, statsInterval: time.Second}
}

func (c *chatConfig) register(fs *flag.FlagSet) {
	*c = defaultChatConfig()
	fs.Float64Var(&c.rate, "rate", c.rate, "chat messages one connection may send a second, on average (a token bucket; 0: no limit); past it a message is dropped and its sender told")
	fs.IntVar(&c.burst, "burst", c.burst, "chat messages one connection may send at once before -rate applies")
	fs.StringVar(&c.natsURL, "nats", "", "`URL` of a NATS server (such as nats://127.0.0.1:4222) through which serve processes, on any ports or hosts, share their rooms")
	fs.DurationVar(&c.presenceInterval, "presence-interval", c.presenceInterval, "with -nats: how often this node tells the others who is in its rooms; a node not heard from for 3 of its intervals is forgotten")
}

// Hub topics. Rooms and presence reach other nodes through the hub's
// Relay; stats and member lists are each node's own and are delivered
// with Deliver, which stays local.
const (
	roomTopicPrefix = "chat-room-"
	presenceTopic   = "chat-presence"
	statsTopic      = "chat-stats"
)

func roomTopic(room string) string { return roomTopicPrefix + room }

// chatService is the chat: the Handler of /chat (chat_handler.go), who is
// in which room here and on the other nodes (chat_rooms.go,
// chat_presence.go), and the stats (chat_stats.go).
type chatService struct {
	cfg  chatConfig
	hub  *hub.Hub
	srv  *fastws.Server
	node string // this node's name for the others: random, new at each start

	rateError []byte           // the error a rate-limited message gets, encoded once
	now       func() time.Time // the rate limit's clock: time.Now, but for tests

	// mu guards the rosters, and is held while what changed is published,
	// so that every subscriber sees joins, leaves and member lists in the
	// order they happened. Nothing under it blocks: publishing queues.
	mu    sync.Mutex
	rooms map[string]map[*fastws.Session]string // room → its sessions here → their names
	nodes map[string]*remoteNode                // the other nodes' rosters
	seq   uint64                                // of this node's roster messages

	bridge    io.Closer      // the NATS bridge, or nil
	presence  *presenceInbox // what the other nodes say, with a bridge
	said      atomic.Int64   // chat messages said here since the start
	lastStats atomic.Pointer[chatStats]

	stop      chan struct{} // closed to end run
	done      chan struct{} // closed when run has returned
	closeOnce sync.Once
}

// newChatService returns the chat, with its Server: the message size
// limit, the drop-oldest queue policy and a heartbeat, all for chat. It
// runs once start is called.
func newChatService(cfg chatConfig, compress bool) *chatService {
	svc := &chatService{
		cfg:   cfg,
		hub:   hub.New(),
		node:  rand.Text()[:10],
		rooms: make(map[string]map[*fastws.Session]string),
		nodes: make(map[string]*remoteNode),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		now:   time.Now,
		rateError: errorMessage(fmt.Errorf("rate limit: at most %g messages a second, in bursts of %d; "+
			"this message and those right after it were dropped", cfg.rate, cfg.burst)),
	}
	var comp *fastws.CompressionOptions
	if compress {
		// Every connection then shares one compressed frame of a
		// broadcast message, instead of compressing it again for each.
		comp = &fastws.CompressionOptions{ServerNoContextTakeover: true}
	}
	svc.srv = fastws.NewServer(svc, &fastws.ServerOptions{
		// Same origin only (the default): the page is served from here.
		AcceptOptions: fastws.AcceptOptions{
			ConnOptions: fastws.ConnOptions{MaxMessageSize: chatMaxMessage},
			Compression: comp,
		},
		// A reader that falls behind by 1024 messages or 256 KiB loses
		// the oldest: a chat's latest lines matter most, and the server's
		// memory stays bounded whatever the clients do.
		QueuePolicy:   fastws.QueueDropOldest,
		QueueLimit:    256 << 10,
		QueueMessages: 1024,
		// A browser that vanished without a close (a laptop lid, a lost
		// network) leaves its rooms within a minute rather than never.
		HeartbeatInterval: 30 * time.Second,
	})
	svc.lastStats.Store(&chatStats{Type: "stats", Node: svc.node, Nodes: 1})
	return svc
}

// start starts the background work. bridge, when not nil, carries the
// hub to the other nodes: this node then listens to their rosters and
// asks for them at once rather than wait for their next round.
func (svc *chatService) start(bridge io.Closer) {
	if bridge != nil {
		svc.bridge = bridge
		svc.presence = newPresenceInbox()
		svc.hub.Subscribe(svc.presence, presenceTopic)
		svc.sayHello()
	}
	go svc.run()
}

// run is the chat's background work: the stats each second and, with a
// bridge, this node's roster for the others and theirs for this one.
func (svc *chatService) run() {
	defer close(svc.done)
	stats := time.NewTicker(svc.cfg.statsInterval)
	defer stats.Stop()
	var presenceTick <-chan time.Time
	var inbox <-chan *fastws.PreparedMessage
	if svc.presence != nil {
		t := time.NewTicker(svc.cfg.presenceInterval)
		defer t.Stop()
		presenceTick, inbox = t.C, svc.presence.ch
	}
	last := time.Now()
	prev := svc.counters()
	for {
		select {
		case <-svc.stop:
			return
		case now := <-stats.C:
			cur := svc.counters()
			svc.publishStats(prev, cur, now.Sub(last))
			prev, last = cur, now
		case <-presenceTick:
			svc.republish(time.Now())
		case pm := <-inbox:
			svc.applyPresence(pm.Payload(), time.Now())
		}
	}
}

// Shutdown closes every chat connection with 1001 and waits for their
// closing handshakes (each one's leaving reaches the other nodes), then
// stops the background work and leaves the NATS server.
func (svc *chatService) Shutdown(ctx context.Context) error {
	err := svc.srv.Shutdown(ctx)
	svc.stopBackground()
	return err
}

// Close closes every chat connection at once and stops the rest.
func (svc *chatService) Close() error {
	err := svc.srv.Close()
	svc.stopBackground()
	return err
}

func (svc *chatService) stopBackground() {
	svc.closeOnce.Do(func() {
		close(svc.stop)
		<-svc.done
		if svc.bridge != nil {
			svc.sayBye()
			svc.bridge.Close()
		}
	})
}
