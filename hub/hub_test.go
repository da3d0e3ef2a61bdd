package hub

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fastws/fastws"
)

// memSub is a Subscriber that keeps what it is given: the hub's side of
// the contract, without a network.
type memSub struct {
	mu     sync.Mutex
	got    []*fastws.PreparedMessage
	err    error // returned by every write when set
	writes atomic.Int64
}

func (m *memSub) WritePrepared(pm *fastws.PreparedMessage) error {
	m.writes.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.got = append(m.got, pm)
	return nil
}

func (m *memSub) received() []*fastws.PreparedMessage {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.got)
}

func seqMsg(t testing.TB, publisher, n int) *fastws.PreparedMessage {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:], uint64(publisher))
	binary.BigEndian.PutUint64(b[8:], uint64(n))
	pm, err := fastws.NewPreparedMessage(fastws.Binary, b[:])
	if err != nil {
		t.Fatal(err)
	}
	return pm
}

func TestSubscribeTopicsAndCounts(t *testing.T) {
	h := New()
	a, b := &memSub{}, &memSub{}
	if !h.Subscribe(a, "x") || h.Subscribe(a, "x") {
		t.Error("Subscribe should report only the first subscription")
	}
	h.Subscribe(a, "y")
	h.Subscribe(b, "y")
	if got, want := h.Topics(), []TopicInfo{{"x", 1}, {"y", 2}}; !slices.Equal(got, want) {
		t.Errorf("Topics %v, want %v", got, want)
	}
	if got := h.TopicsOf(a); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("TopicsOf %v", got)
	}
	st := h.Stats()
	if st.Topics != 2 || st.Subscribers != 2 || st.Subscriptions != 3 {
		t.Errorf("stats %+v", st)
	}
	if err := h.Publish("y", fastws.Text, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if err := h.Publish("nobody", fastws.Text, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if err := h.Publish("y", fastws.Text, []byte{0xff}); err == nil {
		t.Error("invalid UTF-8 published")
	}
	if len(a.received()) != 1 || len(b.received()) != 1 || a.received()[0] != b.received()[0] {
		t.Error("one message, the same PreparedMessage, to each subscriber of y")
	}
	if !h.Unsubscribe(a, "x") || h.Unsubscribe(a, "x") || h.Subscribers("x") != 0 {
		t.Error("Unsubscribe")
	}
	if n := h.UnsubscribeAll(a); n != 1 {
		t.Errorf("UnsubscribeAll left %d topics", n)
	}
	st = h.Stats()
	if st.Topics != 1 || st.Subscribers != 1 || st.Delivered != 2 || st.DeliveredBytes != 4 || st.Published != 2 {
		t.Errorf("stats %+v", st)
	}
}

// Messages one goroutine publishes reach every subscriber in publish
// order, while other goroutines publish, subscribe and unsubscribe.
func TestPublishOrderUnderConcurrency(t *testing.T) {
	const publishers, perPublisher, subs = 4, 500, 20
	h := New()
	stable := make([]*memSub, subs)
	for i := range stable {
		stable[i] = &memSub{}
		h.Subscribe(stable[i], "room")
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// Churn: subscribers come and go during the publishes.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s := &memSub{}
			h.Subscribe(s, "room")
			h.Subscribe(s, fmt.Sprint("other", i%3))
			h.UnsubscribeAll(s)
		}
	}()
	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Add(1)
		go func() {
			defer pubs.Done()
			for n := range perPublisher {
				h.PublishPrepared("room", seqMsg(t, p, n))
			}
		}()
	}
	pubs.Wait()
	close(stop)
	wg.Wait()
	for i, s := range stable {
		next := make([]uint64, publishers)
		for _, pm := range s.received() {
			p, n := binary.BigEndian.Uint64(pm.Payload()), binary.BigEndian.Uint64(pm.Payload()[8:])
			if n != next[p] {
				t.Fatalf("subscriber %d: publisher %d's message %d, want %d", i, p, n, next[p])
			}
			next[p]++
		}
		for p, n := range next {
			if n != perPublisher {
				t.Errorf("subscriber %d got %d of publisher %d's %d messages", i, n, p, perPublisher)
			}
		}
	}
}

// A subscriber whose connection has closed is forgotten at the next
// publish; one that refuses (a full queue) stays, and the refusals are
// counted; one closed for being slow is forgotten and counted.
func TestDeliveryErrors(t *testing.T) {
	h := New()
	ok, closed, full, slow := &memSub{}, &memSub{err: fastws.ErrClosed}, &memSub{err: fastws.ErrQueueFull}, &memSub{err: fastws.ErrQueueFullClose}
	for _, s := range []*memSub{ok, closed, full, slow} {
		h.Subscribe(s, "t")
		h.Subscribe(s, "u")
	}
	for range 3 {
		if err := h.Publish("t", fastws.Binary, []byte{1}); err != nil {
			t.Fatal(err)
		}
	}
	if closed.writes.Load() != 1 || slow.writes.Load() != 1 || full.writes.Load() != 3 {
		t.Errorf("writes: closed %d, slow %d, full %d", closed.writes.Load(), slow.writes.Load(), full.writes.Load())
	}
	if h.TopicsOf(closed) != nil || h.TopicsOf(slow) != nil {
		t.Error("a gone subscriber is still subscribed")
	}
	st := h.Stats()
	if st.Gone != 1 || st.SlowCloses != 1 || st.Dropped != 3 || st.Delivered != 3 || st.Subscribers != 2 {
		t.Errorf("stats %+v", st)
	}
}

type failingRelay struct{ calls []string }

func (r *failingRelay) Relay(topic string, pm *fastws.PreparedMessage) error {
	r.calls = append(r.calls, topic+":"+string(pm.Payload()))
	return errors.New("no broker")
}

func TestRelay(t *testing.T) {
	h := New()
	s := &memSub{}
	h.Subscribe(s, "t")
	r := &failingRelay{}
	h.SetRelay(r)
	err := h.Publish("t", fastws.Text, []byte("a"))
	if err == nil || len(s.received()) != 1 {
		t.Errorf("err %v, %d delivered locally", err, len(s.received()))
	}
	// Deliver is for what other nodes published: not relayed again.
	pm, _ := fastws.NewPreparedMessage(fastws.Text, []byte("b"))
	if n := h.Deliver("t", pm); n != 1 {
		t.Errorf("Deliver reached %d", n)
	}
	h.SetRelay(nil)
	_ = h.Publish("t", fastws.Text, []byte("c"))
	if !slices.Equal(r.calls, []string{"t:a"}) || h.Stats().RelayErrors != 1 {
		t.Errorf("relayed %v, stats %+v", r.calls, h.Stats())
	}
}

// dropSub takes every message and drops it, as a session under
// QueueDropOldest whose peer never reads does, and says so.
type dropSub struct{ dropped atomic.Int64 }

func (d *dropSub) WritePrepared(*fastws.PreparedMessage) error { d.dropped.Add(1); return nil }
func (d *dropSub) Queued() int                                 { return 0 }
func (d *dropSub) Dropped() int64                              { return d.dropped.Load() }

// Stats count a subscriber's drops while it is subscribed, once: those
// from before it joined are not the hub's, and a subscriber that leaves
// every topic and joins again is not counted twice.
func TestStatsCountDropsOnce(t *testing.T) {
	h := New()
	s := &dropSub{}
	s.dropped.Store(5) // dropped before it joined
	publish := func(topic string, n int) {
		for range n {
			if err := h.Publish(topic, fastws.Binary, []byte{1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	check := func(want int64) {
		t.Helper()
		if got := h.Stats().Dropped; got != want {
			t.Errorf("Stats().Dropped = %d, want %d", got, want)
		}
	}
	h.Subscribe(s, "a")
	publish("a", 3)
	check(3)
	h.Unsubscribe(s, "a") // in no topic: forgotten
	check(3)
	publish("a", 2) // nobody is subscribed
	check(3)
	h.Subscribe(s, "b")
	check(3)
	publish("b", 2)
	check(5)
	h.UnsubscribeAll(s)
	check(5)
}
