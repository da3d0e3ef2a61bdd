package natsbridge

import (
	"fmt"
	"testing"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/nats-io/nats.go"
)

// waitLinked publishes probes from a until b has one, so that what a
// publishes next reaches b: after a restart each node resubscribes on its
// own schedule, and a message published before the receiver's
// subscription is back is lost, not late.
func waitLinked(t *testing.T, a, b *node) {
	t.Helper()
	r := newRecorder()
	topic := "probe-" + a.name + "-" + b.name
	b.h.Subscribe(r, topic)
	defer b.h.Unsubscribe(r, topic)
	waitUntil(t, fmt.Sprintf("%s hears %s", b.name, a.name), func() bool {
		_ = a.h.Publish(topic, fastws.Text, []byte("probe"))
		return r.count() > 0
	})
}

// After the NATS server restarts on the same port, both nodes reconnect
// and delivery resumes, exactly once and in order.
func TestServerRestart(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	port := natsPort(t, ns)
	a := newNode(t, ns.ClientURL(), "a", nil)
	b := newNode(t, ns.ClientURL(), "b", nil)
	nodes := []*node{a, b}
	ra, rb := newRecorder(), newRecorder()
	a.h.Subscribe(ra, "room")
	b.h.Subscribe(rb, "room")
	const n = 100
	publishAll(t, nodes, "room", 1, n)
	waitUntil(t, "the first round arrived", func() bool { return ra.count() == 2*n && rb.count() == 2*n })

	stopNATS(ns)
	for _, nd := range nodes {
		waitUntil(t, nd.name+" saw the disconnect", func() bool { return nd.b.Stats().Disconnects >= 1 })
	}
	startNATS(t, port)
	for _, nd := range nodes {
		waitUntil(t, nd.name+" reconnected", func() bool { return nd.b.Stats().Reconnects >= 1 })
	}
	waitLinked(t, a, b)
	waitLinked(t, b, a)

	publishAll(t, nodes, "room", n+1, n)
	waitUntil(t, "the second round arrived", func() bool { return ra.count() == 4*n && rb.count() == 4*n })
	settle()
	want := map[string]int{"a": 2 * n, "b": 2 * n}
	checkStream(t, "a's subscriber", ra.messages(), want)
	checkStream(t, "b's subscriber", rb.messages(), want)
	for _, nd := range nodes {
		if st := nd.b.Stats(); st.Reconnects != 1 || st.Disconnects != 1 || st.SendErrors != 0 {
			t.Errorf("%s: stats %+v, want one disconnect and one reconnect", nd.name, st)
		}
	}
}

// What a node publishes while disconnected is buffered up to its
// reconnect buffer and refused beyond it (by nats.go, after Relay has
// returned: the hub's publisher does not wait); every message is then
// either delivered or counted lost by the receiver.
func TestLossWhileDisconnected(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	port := natsPort(t, ns)
	a := newNode(t, ns.ClientURL(), "a", &Options{NATSOptions: []nats.Option{nats.ReconnectBufSize(4 << 10)}})
	b := newNode(t, ns.ClientURL(), "b", nil)
	rb := newRecorder()
	b.h.Subscribe(rb, "room")
	// b must have heard from a before the outage to see a gap after it.
	publishAll(t, []*node{a}, "room", 1, 1)
	waitUntil(t, "b heard a", func() bool { return rb.count() == 1 })

	stopNATS(ns)
	waitUntil(t, "a saw the disconnect", func() bool { return a.b.Stats().Disconnects >= 1 })
	const n = 100
	for i := range n {
		if err := a.h.Publish("room", fastws.Binary, fmt.Appendf(nil, "a/%d %0200d", i+2, 0)); err != nil {
			t.Fatalf("Publish %d while disconnected: %v (the send buffer takes it)", i, err)
		}
	}
	waitUntil(t, "a handed every message to nats.go", func() bool {
		st := a.b.Stats()
		return st.Sent+st.SendErrors == 1+n && st.SendQueued == 0
	})
	if st := a.b.Stats(); st.SendErrors == 0 || st.SendDropped != 0 || a.h.Stats().RelayErrors != 0 {
		t.Fatalf("no message refused by nats.go while disconnected with a 4 KiB buffer, or refused by Relay; stats %+v, hub %+v", st, a.h.Stats())
	}

	startNATS(t, port)
	waitUntil(t, "both reconnected", func() bool { return a.b.Stats().Reconnects >= 1 && b.b.Stats().Reconnects >= 1 })
	waitLinked(t, a, b)
	if err := a.h.Publish("room", fastws.Text, []byte("last")); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the last message arrived", func() bool {
		got := rb.messages()
		return got[len(got)-1] == "last"
	})
	sa, sb := a.b.Stats(), b.b.Stats()
	// Every number a spent was either received by b or counted lost.
	if sb.Received+sb.Lost != sa.Sent+sa.SendErrors || sb.Lost < sa.SendErrors {
		t.Errorf("a sent %d and failed %d; b received %d and lost %d", sa.Sent, sa.SendErrors, sb.Received, sb.Lost)
	}
	t.Logf("a: %d sent, %d refused; b: %d received, %d lost", sa.Sent, sa.SendErrors, sb.Received, sb.Lost)
}
