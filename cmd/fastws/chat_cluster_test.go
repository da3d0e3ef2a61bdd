package main

import (
	"context"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/nats-io/nats-server/v2/server"
)

// memCluster joins hubs in memory as a NATS server joins them: what one
// node publishes, every other node delivers. A node can be cut off, as
// by a network failure: it then neither hears nor is heard, and says no
// goodbye.
type memCluster struct {
	mu    sync.Mutex
	nodes []*memNode
}

type memNode struct {
	c *memCluster
	h *hub.Hub
}

func (c *memCluster) join(h *hub.Hub, _ string) (io.Closer, error) {
	n := &memNode{c: c, h: h}
	c.mu.Lock()
	c.nodes = append(c.nodes, n)
	c.mu.Unlock()
	h.SetRelay(n)
	return n, nil
}

func (c *memCluster) node(h *hub.Hub) *memNode {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, n := range c.nodes {
		if n.h == h {
			return n
		}
	}
	return nil
}

func (n *memNode) Relay(topic string, pm *fastws.PreparedMessage) error {
	n.c.mu.Lock()
	nodes := slices.Clone(n.c.nodes)
	n.c.mu.Unlock()
	if !slices.Contains(nodes, n) {
		return nil // cut off
	}
	for _, o := range nodes {
		if o != n {
			o.h.Deliver(topic, pm)
		}
	}
	return nil
}

func (n *memNode) cut() {
	n.c.mu.Lock()
	n.c.nodes = slices.DeleteFunc(n.c.nodes, func(o *memNode) bool { return o == n })
	n.c.mu.Unlock()
}

func (n *memNode) Close() error {
	n.cut()
	n.h.SetRelay(nil)
	return nil
}

// clusterConfig is a node's configuration in a test cluster; its
// presence rounds are scaled, so that a busy machine does not make a
// live node look gone.
func clusterConfig() chatConfig {
	cfg := testChatConfig()
	cfg.presenceInterval = testtime.Limit(100 * time.Millisecond)
	return cfg
}

// Presence across nodes: two nodes share a room (messages, join and leave
// notices, one member list), a node started later learns who is there at
// once, a node that shuts down takes its clients out of the lists, and
// one that vanishes without a word is forgotten after three rounds.
func TestChatPresenceAcrossNodes(t *testing.T) {
	leakcheck.Check(t)
	cluster := &memCluster{}
	cfg := clusterConfig()
	cfg.join = cluster.join
	_, addrA := startServe(t, cfg, nil)
	b, addrB := startServe(t, cfg, nil)
	alice := dialChat(t, addrA, "alice", "/chat")
	bob := dialChat(t, addrB, "bob", "/chat")

	alice.join("lobby", "alice")
	alice.expect(joined("lobby", "alice"))
	alice.expect(members("lobby", "alice"))
	bob.join("lobby", "bob")
	bob.expect(joined("lobby", "bob"))
	bob.waitMembers("lobby", "alice", "bob")
	alice.expect(joined("lobby", "bob"))
	alice.waitMembers("lobby", "alice", "bob")

	alice.say("hello from A")
	bob.waitFor("alice's message", isMessage("alice", "hello from A"))
	bob.say("hello from B")
	alice.waitFor("bob's message", isMessage("bob", "hello from B"))

	// A third node, started now, learns the others' rosters at once.
	c, addrC := startServe(t, cfg, nil)
	carol := dialChat(t, addrC, "carol", "/chat")
	carol.join("lobby", "carol")
	carol.expect(joined("lobby", "carol"))
	carol.waitMembers("lobby", "alice", "bob", "carol")
	alice.waitMembers("lobby", "alice", "bob", "carol")
	bob.waitMembers("lobby", "alice", "bob", "carol")

	// B shuts down: its clients leave, and it says goodbye.
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(10*time.Second))
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	alice.waitFor("bob leaving", isLeft("lobby", "bob"))
	alice.waitMembers("lobby", "alice", "carol")
	carol.waitMembers("lobby", "alice", "carol")

	// C is cut off: no word from it, nor from it.
	cluster.node(c.chat.hub).cut()
	alice.waitMembers("lobby", "alice")
	carol.waitMembers("lobby", "carol")
}

func isMessage(name, text string) func(wire) bool {
	return func(w wire) bool { return w.Type == "message" && w.Name == name && w.Text == text }
}

// Presence messages from a node arrive out of order (its connections
// publish from several event loops): an older roster never replaces a
// newer one, and a full roster drops the rooms it no longer lists.
func TestChatPresenceOrder(t *testing.T) {
	leakcheck.Check(t)
	svc := newChatService(clusterConfig(), false)
	svc.start(nil)
	defer svc.Close()
	now := time.Now()
	apply := func(m presenceMessage) { svc.applyPresence(encode(m), now) }
	names := func(room string) []string {
		svc.mu.Lock()
		defer svc.mu.Unlock()
		return svc.membersLocked(room)
	}
	apply(presenceMessage{Type: "roster", Node: "X", Seq: 2, Rooms: map[string][]string{"r": {"b", "a"}}})
	apply(presenceMessage{Type: "roster", Node: "X", Seq: 1, Rooms: map[string][]string{"r": {"old"}}})
	if got := names("r"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after an older roster: %v", got)
	}
	apply(presenceMessage{Type: "roster", Node: "X", Seq: 3, Rooms: map[string][]string{"r": {}}})
	apply(presenceMessage{Type: "roster", Node: "X", Seq: 2, Full: true, Rooms: map[string][]string{"r": {"a"}}})
	if got := names("r"); len(got) != 0 {
		t.Fatalf("an emptied room came back: %v", got)
	}
	apply(presenceMessage{Type: "roster", Node: "X", Seq: 4, Rooms: map[string][]string{"s": {"c"}}})
	apply(presenceMessage{Type: "roster", Node: "X", Seq: 5, Full: true, Rooms: map[string][]string{"t": {"d", "<bad>", ""}}})
	if got := names("s"); len(got) != 0 {
		t.Fatalf("a full roster kept an unlisted room: %v", got)
	}
	if got := names("t"); !slices.Equal(got, []string{"d"}) {
		t.Fatalf("invalid names kept: %v", got)
	}
	apply(presenceMessage{Type: "roster", Node: svc.node, Seq: 9, Rooms: map[string][]string{"t": {"me"}}})
	apply(presenceMessage{Type: "roster", Node: "Y", Seq: 1, Rooms: map[string][]string{"t": {"e"}, "bad room": {"f"}}})
	if got := names("t"); !slices.Equal(got, []string{"d", "e"}) {
		t.Fatalf("with a second node and our own echo: %v", got)
	}
	apply(presenceMessage{Type: "bye", Node: "X"})
	if got := names("t"); !slices.Equal(got, []string{"e"}) {
		t.Fatalf("after X's bye: %v", got)
	}
	// Y is forgotten after three of its own intervals, Z after three of
	// its longer ones.
	apply(presenceMessage{Type: "roster", Node: "Z", Seq: 1, Every: 60_000, Rooms: map[string][]string{"t": {"z"}}})
	svc.republish(now.Add(presenceExpiry*svc.cfg.presenceInterval + time.Millisecond))
	if got := names("t"); !slices.Equal(got, []string{"z"}) {
		t.Fatalf("after three intervals: %v", got)
	}
	svc.republish(now.Add(3*time.Minute + time.Millisecond))
	if got := names("t"); len(got) != 0 {
		t.Fatalf("Z not forgotten: %v", got)
	}
}

// startNATS runs a NATS server in the test process, on a free loopback
// port, until the end of the test.
func startNATS(t *testing.T) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(testtime.Limit(10 * time.Second)) {
		s.Shutdown()
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s.ClientURL()
}

// `fastws serve -nats URL` on two ports shares rooms through a real NATS
// server: messages, notices and member lists cross, and a node started
// later sees who is there.
func TestChatAcrossNATS(t *testing.T) {
	leakcheck.Check(t)
	cfg := clusterConfig()
	cfg.natsURL = startNATS(t)
	_, addrA := startServe(t, cfg, nil)
	_, addrB := startServe(t, cfg, nil)
	alice := dialChat(t, addrA, "alice", "/chat")
	bob := dialChat(t, addrB, "bob", "/chat?stats=1")
	bob.waitFor("stats counting two nodes", func(w wire) bool { return w.Type == "stats" && w.Nodes == 2 })

	alice.join("lobby", "alice")
	alice.expect(joined("lobby", "alice"))
	alice.expect(members("lobby", "alice"))
	bob.join("lobby", "bob")
	bob.waitMembers("lobby", "alice", "bob")
	alice.expect(joined("lobby", "bob"))
	alice.waitMembers("lobby", "alice", "bob")
	alice.say("over NATS")
	bob.waitFor("alice's message", isMessage("alice", "over NATS"))
	bob.say("back over NATS")
	alice.waitFor("bob's message", isMessage("bob", "back over NATS"))

	_, addrC := startServe(t, cfg, nil)
	carol := dialChat(t, addrC, "carol", "/chat")
	carol.join("lobby", "carol")
	carol.waitMembers("lobby", "alice", "bob", "carol")

	bob.c.CloseNow()
	alice.waitFor("bob leaving", isLeft("lobby", "bob"))
	alice.waitMembers("lobby", "alice", "carol")
	carol.waitMembers("lobby", "alice", "carol")
}

func isLeft(room, name string) func(wire) bool {
	return func(w wire) bool { return w.Type == "left" && w.Room == room && w.Name == name }
}
