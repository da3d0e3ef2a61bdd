package natsbridge

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/nats-io/nats.go"
)

// Every subscriber on every node gets every node's messages once each, in
// the order each node published them, and a node's own messages only
// from its local delivery.
func TestFanOut(t *testing.T) {
	for _, nodes := range []int{2, 3} {
		t.Run(fmt.Sprintf("%d nodes", nodes), func(t *testing.T) {
			leakcheck.Check(t)
			ns := startNATS(t, -1)
			const n = 300
			var all []*node
			var subs [][]*recorder
			want := map[string]int{}
			for i := range nodes {
				nd := newNode(t, ns.ClientURL(), fmt.Sprintf("n%d", i), nil)
				var rs []*recorder
				for range 2 {
					r := newRecorder()
					nd.h.Subscribe(r, "room")
					rs = append(rs, r)
				}
				all, subs = append(all, nd), append(subs, rs)
				want[nd.name] = n
			}
			publishAll(t, all, "room", 1, n)
			for i, rs := range subs {
				for j, r := range rs {
					waitUntil(t, fmt.Sprintf("n%d's subscriber %d has %d messages", i, j, nodes*n), func() bool { return r.count() >= nodes*n })
				}
			}
			settle()
			for i, rs := range subs {
				for j, r := range rs {
					checkStream(t, fmt.Sprintf("n%d's subscriber %d", i, j), r.messages(), want)
				}
				// The hub hands one PreparedMessage to all its subscribers.
				for pm, k := range rs[0].pms {
					if k != 1 || rs[1].pms[pm] != 1 {
						t.Fatalf("n%d: a message reached its subscribers as different PreparedMessages", i)
					}
				}
			}
			for _, nd := range all {
				others := int64((nodes - 1) * n)
				// Delivered counts once the hub has returned.
				waitUntil(t, nd.name+" counted its deliveries", func() bool { return nd.b.Stats().Delivered >= 2*others })
				st := nd.b.Stats()
				if st.Sent != n || st.SendErrors != 0 || st.Received != others || st.Delivered != 2*others ||
					st.OwnEchoesDropped != 0 || st.Lost != 0 || st.BadMessages != 0 || st.Duplicates != 0 || st.Origins != nodes-1 {
					t.Errorf("%s: stats %+v", nd.name, st)
				}
				if hs := nd.h.Stats(); hs.RelayErrors != 0 {
					t.Errorf("%s: hub stats %+v", nd.name, hs)
				}
			}
		})
	}
}

// Topics that are not plain NATS tokens reach exactly their own
// subscribers, and none of them is a wildcard.
func TestOddTopics(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	a := newNode(t, ns.ClientURL(), "a", nil)
	b := newNode(t, ns.ClientURL(), "b", nil)
	long := strings.Repeat("é", (maxSubjectLen-len(DefaultPrefix)-1)/6) // 6 bytes escaped per rune
	topics := []string{
		"", "room", "a.b", "a", "b", "*", ">", "a.*", "a.>", "a b", "a\tb", " ", "%", "%41", "%%", "A",
		"ünïcødé", "日本語", "\x00", "\xff", ".", "..", "room.1", "room%2E1", "fastws.hub.room", long,
	}
	recs := map[string]*recorder{}
	for _, topic := range topics {
		r := newRecorder()
		b.h.Subscribe(r, topic)
		recs[topic] = r
	}
	for i, topic := range topics {
		if err := a.h.Publish(topic, fastws.Binary, fmt.Appendf(nil, "to %q", topic)); err != nil {
			t.Fatalf("Publish %d: %v", i, err)
		}
	}
	waitUntil(t, "b received every topic's message", func() bool { return b.b.Stats().Received >= int64(len(topics)) })
	settle()
	for _, topic := range topics {
		got := recs[topic].messages()
		if want := fmt.Sprintf("to %q", topic); len(got) != 1 || got[0] != want {
			t.Errorf("topic %q: got %q, want [%q]", topic, got, want)
		}
	}
	if st := b.b.Stats(); st.BadMessages != 0 || st.Lost != 0 || st.Delivered != int64(len(topics)) {
		t.Errorf("b: stats %+v", st)
	}

	// A topic whose subject NATS would refuse to carry stays local.
	r := newRecorder()
	a.h.Subscribe(r, long+"é")
	if err := a.h.Publish(long+"é", fastws.Text, []byte("x")); !errors.Is(err, ErrTopicTooLong) {
		t.Errorf("Publish to a topic too long: %v, want ErrTopicTooLong", err)
	}
	if r.count() != 1 {
		t.Errorf("a topic too long for NATS was not delivered locally")
	}
}

// A message in another wire format, or malformed, is counted and not
// delivered; the next good one is.
func TestBadMessages(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	b := newNode(t, ns.ClientURL(), "b", nil)
	r := newRecorder()
	b.h.Subscribe(r, "room")

	raw, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	pm, _ := fastws.NewPreparedMessage(fastws.Text, []byte("good"))
	origin := nodeID{1, 2, 3}
	good := appendMessage(nil, origin, 1, pm)
	v2 := append([]byte{2}, good[1:]...)
	badFlags := append([]byte{wireVersion, 0x80}, good[2:]...)
	badText := appendMessage(nil, origin, 2, pm)
	badText = append(badText[:headerLen], 0xff, 0xfe)
	subj := DefaultPrefix + ".room"
	for _, m := range []struct {
		subj string
		data []byte
	}{
		{subj, v2},
		{subj, good[:headerLen-1]},
		{subj, nil},
		{subj, badFlags},
		{subj, badText},
		{DefaultPrefix + ".room%2e", good}, // lowercase hex
		{DefaultPrefix + ".%41", good},     // a needless escape
		{DefaultPrefix + ".ro%", good},
	} {
		if err := raw.Publish(m.subj, m.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := raw.Publish(subj, appendMessage(nil, origin, 3, pm)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the good message arrived", func() bool { return r.count() == 1 })
	if got := r.messages(); got[0] != "good" {
		t.Errorf("delivered %q", got)
	}
	// good (seq 1) was never sent as such, and badText (seq 2) counted as
	// received: the first message from an origin cannot show a gap.
	if st := b.b.Stats(); st.BadMessages != 8 || st.Received != 9 || st.Delivered != 1 || st.Lost != 0 {
		t.Errorf("stats %+v, want 8 bad of 9 received, 1 delivered, none lost", st)
	}

	// A replayed message is dropped; a gap is counted.
	for _, seq := range []uint64{3, 2, 10} {
		if err := raw.Publish(subj, appendMessage(nil, origin, seq, pm)); err != nil {
			t.Fatal(err)
		}
	}
	waitUntil(t, "seq 10 arrived", func() bool { return r.count() == 2 })
	if st := b.b.Stats(); st.Duplicates != 2 || st.Lost != 6 {
		t.Errorf("stats %+v, want 2 duplicates and 6 lost", st)
	}
}

// A connection made without nats.NoEcho gets its own messages back, and
// the bridge drops them by origin.
func TestOwnEchoDropped(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	var nodes []*node
	for _, name := range []string{"a", "b"} {
		nc, err := nats.Connect(ns.ClientURL())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		h := hub.New()
		b, err := New(nc, h, &Options{Name: name, ErrorLog: testLog(t, name)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		nodes = append(nodes, &node{name: name, h: h, b: b})
	}
	ra, rb := newRecorder(), newRecorder()
	nodes[0].h.Subscribe(ra, "room")
	nodes[1].h.Subscribe(rb, "room")
	const n = 50
	publishAll(t, nodes[:1], "room", 1, n)
	waitUntil(t, "a's echoes came back", func() bool { return nodes[0].b.Stats().OwnEchoesDropped == n })
	waitUntil(t, "b got a's messages", func() bool { return rb.count() == n })
	settle()
	want := map[string]int{"a": n}
	checkStream(t, "a's subscriber", ra.messages(), want)
	checkStream(t, "b's subscriber", rb.messages(), want)
}

// After Close the hub publishes locally only, Relay refuses, and nothing
// more arrives from other nodes.
func TestClose(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	a := newNode(t, ns.ClientURL(), "a", nil)
	b := newNode(t, ns.ClientURL(), "b", nil)
	ra, rb := newRecorder(), newRecorder()
	a.h.Subscribe(ra, "room")
	b.h.Subscribe(rb, "room")
	if err := b.b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	pm, _ := fastws.NewPreparedMessage(fastws.Text, []byte("x"))
	if err := b.b.Relay("room", pm); !errors.Is(err, ErrClosed) {
		t.Errorf("Relay after Close: %v, want ErrClosed", err)
	}
	if err := b.h.Publish("room", fastws.Text, []byte("b/1")); err != nil {
		t.Errorf("Publish on a hub whose bridge closed: %v", err)
	}
	if err := a.h.Publish("room", fastws.Text, []byte("a/1")); err != nil {
		t.Fatal(err)
	}
	settle()
	checkStream(t, "a's subscriber", ra.messages(), map[string]int{"a": 1})
	checkStream(t, "b's subscriber", rb.messages(), map[string]int{"b": 1})
	if st := a.b.Stats(); st.Received != 0 {
		t.Errorf("a received %d messages from a closed bridge", st.Received)
	}
}

func TestNewRefuses(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	for _, p := range []string{"a.*", "a.>", ">", "a..b", ".a", "a.", "a b", "a\x00"} {
		if _, err := New(nc, hub.New(), &Options{Prefix: p}); err == nil {
			t.Errorf("New with prefix %q did not fail", p)
		}
	}
	if _, err := New(nil, hub.New(), nil); err == nil {
		t.Error("New without a connection did not fail")
	}
	if _, err := Connect("nats://127.0.0.1:1", hub.New(), &Options{NATSOptions: []nats.Option{nats.Timeout(time.Second)}}); err == nil {
		t.Error("Connect to a closed port did not fail")
	}
}

// Two sets of hubs with different prefixes share a server without
// hearing each other.
func TestPrefix(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	a := newNode(t, ns.ClientURL(), "a", &Options{Prefix: "app1.hub"})
	b := newNode(t, ns.ClientURL(), "b", &Options{Prefix: "app1.hub"})
	c := newNode(t, ns.ClientURL(), "c", &Options{Prefix: "app2"})
	rb, rc := newRecorder(), newRecorder()
	b.h.Subscribe(rb, "room")
	c.h.Subscribe(rc, "room")
	publishAll(t, []*node{a}, "room", 1, 3)
	waitUntil(t, "b got a's messages", func() bool { return rb.count() == 3 })
	settle()
	if n := rc.count(); n != 0 || c.b.Stats().Received != 0 {
		t.Errorf("a node on another prefix got %d messages", n)
	}
}

func TestIdentity(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	nc, err := nats.Connect(ns.ClientURL(), nats.NoEcho())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	seen := map[string]bool{}
	for range 3 {
		b, err := New(nc, hub.New(), nil)
		if err != nil {
			t.Fatal(err)
		}
		id := b.NodeID()
		if len(id) != 2*idLen || seen[id] || !strings.HasPrefix(id, b.Name()) || len(b.Name()) != 8 {
			t.Errorf("node ID %q, name %q: want a fresh 32-digit hex ID and a name made of it", id, b.Name())
		}
		seen[id] = true
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
