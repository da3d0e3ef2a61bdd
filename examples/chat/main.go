// Chat is a broadcast chat server: every text message a client sends to
// /chat goes to every connected client, the sender included, as
// "guest N: message". The server also tells a client its name when it
// joins ("* welcome, guest N") and tells everyone when someone joins,
// leaves or is dropped ("* guest N joined", "* guest N left",
// "* guest N was dropped (too slow)").
//
// It shows a fastws.Server with a Handler (OnOpen, OnMessage, OnClose)
// mounted on net/http, and a hub.Hub doing the fan-out: the room is one
// topic, every connection subscribes to it, and a message is copied and
// encoded once however many are in the room, then queued for each of
// them without ever waiting for one (with -nats, once per node). The
// handler holds no goroutine and no lock of its own, and never blocks:
// on Linux it runs on the Server's event loops.
//
// # Slow clients
//
// Each client has a bounded queue of outgoing messages: -queue messages
// (and at most 1 MiB). When a message finds a client's queue full, the
// -slow policy decides. With "close", the default, the client is dropped
// at once: the hub stops sending to it, so it costs the others nothing
// more, and it is closed with 1008 (policy violation), or cut if it does
// not take the close frame within 5 seconds. Everyone else then hears
// that it was dropped (OnClose sees fastws.ClosedForCongestion). With
// "drop-oldest" the client stays, and loses its oldest queued messages
// instead. Either way, a client that reads slowly but keeps up on
// average loses nothing: the queue absorbs bursts. A client that does not
// answer a ping (sent every 30 seconds) within 30 seconds is closed.
//
// GET /stats shows the counters: hub.Stats (SlowCloses, Dropped, ...),
// the Server's and, with -nats, the bridge's.
//
// # Several nodes
//
// With -nats URL, the server joins the chat of every other instance
// connected to the same NATS server (through fastws/natsbridge): the
// room is shared, and guests are named after their node, "guest N@node"
// (-node, by default a random one). A NATS server for trying it comes
// with Debian's nats-server package, or from Go:
//
//	go run github.com/nats-io/nats-server/v2@v2.15.3 -a 127.0.0.1
//
// Run it from the examples folder:
//
//	go run ./chat
//
// or, as two nodes sharing the room, one per terminal:
//
//	go run ./chat -addr 127.0.0.1:8081 -nats nats://127.0.0.1:4222 -node a
//	go run ./chat -addr 127.0.0.1:8082 -nats nats://127.0.0.1:4222 -node b
//
// and join it from two or more terminals with the fastws command, which
// sends the lines you type and prints what arrives; from the repository's
// root:
//
//	go run ./cmd/fastws connect ws://127.0.0.1:8080/chat
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
	"github.com/fastws/fastws/natsbridge"
)

const (
	// room is the hub topic everyone is in (and, with -nats, the NATS
	// subject's last token).
	room = "chat"
	// maxMessage bounds what one client may send: every queue may hold
	// it, so it bounds the memory a client can make others hold too.
	maxMessage = 64 << 10
	// heartbeat is how often the server pings a client; one that has not
	// answered within as long again is closed. It frees the room of clients
	// that have vanished without closing, or stopped reading altogether.
	heartbeat = 30 * time.Second
	// shutdownTimeout bounds the closing handshakes at shutdown.
	shutdownTimeout = 10 * time.Second
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	var cfg config
	flag.IntVar(&cfg.queue, "queue", 64, "messages that may wait for a client before the -slow policy applies")
	slow := flag.String("slow", "close", "what to do with a client whose queue is full: close (drop it, with 1008) or drop-oldest (it loses its oldest messages)")
	flag.StringVar(&cfg.nats, "nats", "", "URL of a NATS server through which to share the room with other instances")
	flag.StringVar(&cfg.node, "node", "", "this instance's name in guest names, with -nats (default: random)")
	flag.Parse()
	switch *slow {
	case "close":
		cfg.policy = fastws.QueueClose
	case "drop-oldest":
		cfg.policy = fastws.QueueDropOldest
	default:
		log.Fatalf("chat: -slow %q: want close or drop-oldest", *slow)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	// Ctrl-C shuts the server down: every client gets 1001 (going away).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, ln, cfg); err != nil {
		log.Fatal(err)
	}
}

// config is what the flags set.
type config struct {
	queue  int                // outgoing messages a client may have waiting
	policy fastws.QueuePolicy // QueueClose or QueueDropOldest
	nats   string             // NATS server URL, or "" for a single node
	node   string             // node name, with nats

	closeTimeout time.Duration // bound on a closing handshake; 0 means 5 s
}

// run serves the chat on ln until ctx ends, then closes every connection
// and returns once all are closed.
func run(ctx context.Context, ln net.Listener, cfg config) error {
	c, err := newChat(cfg)
	if err != nil {
		ln.Close()
		return err
	}
	if c.bridge != nil {
		log.Printf("chat node %s on ws://%s/chat, sharing the room through %s", c.bridge.Name(), ln.Addr(), cfg.nats)
	} else {
		log.Printf("chat server on ws://%s/chat", ln.Addr())
	}
	return c.serve(ctx, ln)
}

// chat is the server: the fastws.Server and its Handler, and the hub.
type chat struct {
	ws     *fastws.Server
	room   *hub.Hub
	bridge *natsbridge.Bridge // nil on a single node
	suffix string             // "@node" with a bridge, "" without
	guests atomic.Int64       // how many have joined here so far, for names
}

// guest is a client, the Session's Data.
type guest struct {
	name    string
	leaving bool // refused and being closed: what else it sends is ignored
}

// newChat builds the server, and connects it to the NATS server when
// cfg.nats is set.
func newChat(cfg config) (*chat, error) {
	if cfg.queue < 1 {
		return nil, errors.New("chat: the queue must hold a message")
	}
	if cfg.policy != fastws.QueueClose && cfg.policy != fastws.QueueDropOldest {
		return nil, fmt.Errorf("chat: queue policy %v: want QueueClose or QueueDropOldest", cfg.policy)
	}
	c := &chat{room: hub.New()}
	c.ws = fastws.NewServer(c, &fastws.ServerOptions{
		AcceptOptions: fastws.AcceptOptions{
			ConnOptions: fastws.ConnOptions{MaxMessageSize: maxMessage, CloseTimeout: cfg.closeTimeout},
		},
		QueueMessages:     cfg.queue,
		QueuePolicy:       cfg.policy,
		HeartbeatInterval: heartbeat,
	})
	if cfg.nats != "" {
		// From here on, the hub hands every publish to the bridge as
		// well, and the bridge delivers the other nodes' to the hub.
		b, err := natsbridge.Connect(cfg.nats, c.room, &natsbridge.Options{Name: cfg.node})
		if err != nil {
			return nil, err
		}
		c.bridge = b
		c.suffix = "@" + b.Name()
	}
	return c, nil
}

// OnOpen names the client and puts it in the room. The others hear of it
// first, so that the newcomer does not; then it is subscribed, then
// welcomed, so that once a client has its welcome it gets everything said
// after. Something said at the very moment it joins may reach it just
// before the welcome, and, with -nats, something said on another node
// just before may reach it after: it was still crossing NATS.
func (c *chat) OnOpen(s *fastws.Session, _ *fastws.OpenRequest) {
	g := &guest{name: "guest " + strconv.FormatInt(c.guests.Add(1), 10) + c.suffix}
	s.Data = g
	c.say("* " + g.name + " joined")
	c.room.Subscribe(s, room)
	_ = s.WriteMessage(fastws.Text, []byte("* welcome, "+g.name)) // as any message, under the -slow policy
}

// OnMessage passes a text message on to the room. A binary one is
// refused with 1003, and the client is closed.
func (c *chat) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	g := s.Data.(*guest)
	switch {
	case g.leaving:
	case typ != fastws.Text:
		g.leaving = true
		c.room.UnsubscribeAll(s)
		_ = s.Close(fastws.CloseUnsupportedData, "text messages only")
	default:
		// msg is the Server's until OnMessage returns; Publish copies
		// the line it is given once, whatever the room's size.
		line := make([]byte, 0, len(g.name)+2+len(msg))
		line = append(append(append(line, g.name...), ": "...), msg...)
		c.publish(line)
	}
}

// OnClose takes the client out of the room, if the hub has not done so
// already, and tells the others.
func (c *chat) OnClose(s *fastws.Session, ev fastws.CloseEvent) {
	g := s.Data.(*guest)
	c.room.UnsubscribeAll(s)
	if ev.Cause == fastws.ClosedForCongestion {
		// Its queue was full under QueueClose: the hub stopped sending
		// to it right then, and the Server closed it with 1008.
		c.say("* " + g.name + " was dropped (too slow)")
		return
	}
	c.say("* " + g.name + " left")
	switch ev.Cause {
	case fastws.ClosedByPeer, fastws.ClosedByServer, fastws.ClosedForShutdown:
	default: // a broken protocol, a timeout, a network error
		log.Printf("chat: %s: %v (%d): %v", g.name, ev.Cause, ev.Code, ev.Err)
	}
}

// say sends a notice to the room.
func (c *chat) say(notice string) { c.publish([]byte(notice)) }

// publish sends line to everyone in the room, here and on the other
// nodes. It never waits for a client: each gets the message queued, or
// its queue's policy applies.
func (c *chat) publish(line []byte) {
	if err := c.room.Publish(room, fastws.Text, line); err != nil {
		// Delivered here all the same; NATS refused it (see
		// natsbridge.Bridge.Relay).
		log.Printf("chat: %v", err)
	}
}

// stats is what GET /stats shows.
type stats struct {
	Hub    hub.Stats
	Server fastws.ServerStats
	NATS   *natsbridge.Stats `json:",omitempty"`
}

func (c *chat) stats() stats {
	st := stats{Hub: c.room.Stats(), Server: c.ws.Stats()}
	if c.bridge != nil {
		b := c.bridge.Stats()
		st.NATS = &b
	}
	return st
}

// serve runs the chat on ln until ctx ends, then shuts it down: every
// client is closed with 1001 (going away), and the bridge once they are.
// The Server is mounted on net/http: http.Server.Shutdown neither closes
// nor waits for the connections it has handed over, which the
// fastws.Server's Shutdown does.
func (c *chat) serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/chat", c.ws)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(c.stats())
	})
	hs := &http.Server{
		Handler: mux,
		// The Server leaves bounding slow handshakes to net/http here.
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	var err error
	select {
	case err = <-served: // the listener failed
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	// First no new connections, then the closing handshakes.
	herr := hs.Shutdown(shutdownCtx)
	if err == nil {
		<-served // http.ErrServerClosed, now that Shutdown has begun
		err = herr
	}
	if werr := c.ws.Shutdown(shutdownCtx); err == nil {
		err = werr
	}
	// The clients' OnClose have said they left; the bridge has sent that
	// on by the time Close returns.
	if c.bridge != nil {
		if berr := c.bridge.Close(); err == nil {
			err = berr
		}
	}
	return err
}
