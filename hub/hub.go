package hub

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/fastws/fastws"
)

// A Hub delivers published messages to the subscribers of a topic. The
// zero value is not usable; call New. Its methods are safe for concurrent
// use, including from handler callbacks.
type Hub struct {
	mu      sync.RWMutex
	topics  map[string]*topic
	members map[Subscriber]*member
	relay   Relay
	stats   counters
}

// topic is one topic's subscribers, in a slice so that a publish walks
// memory in order.
type topic struct {
	name string
	mu   sync.RWMutex
	subs []*member
	at   map[*member]int // index in subs
}

// member is one subscriber and the topics it is in.
type member struct {
	sub    Subscriber
	topics []*topic
	// dropBase is what the subscriber had dropped when it joined: its
	// count covers the connection's whole life, and the hub counts only
	// the drops while it is a member (a subscriber that leaves every
	// topic and joins again is a new member, not counted twice).
	dropBase int64
}

// A Relay carries a hub's publishes to other nodes. Relay is called by
// Publish after the local subscribers have the message, on the
// publisher's goroutine, so a relay that sends in call order keeps each
// publisher's order. It must not block for long.
type Relay interface {
	Relay(topic string, pm *fastws.PreparedMessage) error
}

// New returns an empty Hub.
func New() *Hub {
	return &Hub{topics: make(map[string]*topic), members: make(map[Subscriber]*member)}
}

// SetRelay makes r carry every later Publish to other nodes; nil stops
// relaying.
func (h *Hub) SetRelay(r Relay) {
	h.mu.Lock()
	h.relay = r
	h.mu.Unlock()
}

// Subscribe adds s to topic. It reports whether s was not subscribed to
// it already.
func (h *Hub) Subscribe(s Subscriber, name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.members[s]
	if m == nil {
		m = &member{sub: s}
		if r, ok := s.(queueReporter); ok {
			m.dropBase = r.Dropped()
		}
		h.members[s] = m
	}
	t := h.topics[name]
	if t == nil {
		t = &topic{name: name, at: make(map[*member]int)}
		h.topics[name] = t
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.at[m]; ok {
		return false
	}
	t.at[m] = len(t.subs)
	t.subs = append(t.subs, m)
	m.topics = append(m.topics, t)
	return true
}

// Unsubscribe removes s from topic. It reports whether s was subscribed
// to it.
func (h *Hub) Unsubscribe(s Subscriber, name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	m, t := h.members[s], h.topics[name]
	if m == nil || t == nil {
		return false
	}
	if !h.leaveLocked(m, t) {
		return false
	}
	m.topics = slices.DeleteFunc(m.topics, func(x *topic) bool { return x == t })
	if len(m.topics) == 0 {
		h.forgetLocked(m)
	}
	return true
}

// UnsubscribeAll removes s from every topic, as a handler does when its
// connection closes. It returns how many topics s left.
func (h *Hub) UnsubscribeAll(s Subscriber) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.members[s]
	if m == nil {
		return 0
	}
	n := len(m.topics)
	for _, t := range m.topics {
		h.leaveLocked(m, t)
	}
	m.topics = nil
	h.forgetLocked(m)
	return n
}

// leaveLocked takes m out of t, and t out of the hub once it is empty.
func (h *Hub) leaveLocked(m *member, t *topic) bool {
	t.mu.Lock()
	i, ok := t.at[m]
	if ok {
		last := len(t.subs) - 1
		t.subs[i] = t.subs[last]
		t.at[t.subs[i]] = i
		t.subs[last] = nil
		t.subs = t.subs[:last]
		delete(t.at, m)
	}
	empty := len(t.subs) == 0
	t.mu.Unlock()
	if empty {
		delete(h.topics, t.name)
	}
	return ok
}

// forgetLocked drops a member that is in no topic, keeping the count of
// messages it dropped as a member in the hub's.
func (h *Hub) forgetLocked(m *member) {
	delete(h.members, m.sub)
	if r, ok := m.sub.(queueReporter); ok {
		h.stats.droppedBefore.Add(r.Dropped() - m.dropBase)
	}
}

// Publish sends a message of type typ (fastws.Text or fastws.Binary,
// or'ed with fastws.Uncompressed to send it uncompressed) to every
// subscriber of topic, here and, through the Relay, on other nodes. The
// payload is copied once. It returns an error for a message that cannot
// be sent (text that is not UTF-8), or the Relay's, after delivering
// locally all the same.
func (h *Hub) Publish(topic string, typ fastws.MessageType, payload []byte) error {
	pm, err := fastws.NewPreparedMessage(typ, payload)
	if err != nil {
		return err
	}
	return h.PublishPrepared(topic, pm)
}

// PublishPrepared is Publish for a message encoded already.
func (h *Hub) PublishPrepared(topic string, pm *fastws.PreparedMessage) error {
	h.Deliver(topic, pm)
	h.mu.RLock()
	r := h.relay
	h.mu.RUnlock()
	if r == nil {
		return nil
	}
	if err := r.Relay(topic, pm); err != nil {
		h.stats.relayErrors.Add(1)
		return err
	}
	return nil
}

// Deliver hands pm to the local subscribers of topic, and not to the
// Relay: it is how a Relay delivers what other nodes published. It
// returns how many subscribers took the message.
func (h *Hub) Deliver(name string, pm *fastws.PreparedMessage) int {
	h.stats.published.Add(1)
	h.mu.RLock()
	t := h.topics[name]
	h.mu.RUnlock()
	if t == nil {
		return 0
	}
	var gone []Subscriber
	delivered, refused, slow := 0, 0, 0
	t.mu.RLock()
	for _, m := range t.subs {
		switch err := m.sub.WritePrepared(pm); {
		case err == nil:
			delivered++
		case errors.Is(err, fastws.ErrClosed):
			gone = append(gone, m.sub)
		case errors.Is(err, fastws.ErrQueueFullClose) || errors.Is(err, fastws.ErrMemoryBudget):
			slow++
			gone = append(gone, m.sub)
		default:
			refused++
		}
	}
	t.mu.RUnlock()
	c := &h.stats
	c.delivered.Add(int64(delivered))
	c.deliveredBytes.Add(int64(delivered) * int64(pm.Len()))
	if refused > 0 {
		c.refused.Add(int64(refused))
	}
	if slow > 0 {
		c.slowCloses.Add(int64(slow))
	}
	if len(gone) > 0 {
		c.gone.Add(int64(len(gone) - slow))
		for _, s := range gone {
			h.UnsubscribeAll(s)
		}
	}
	return delivered
}

// TopicInfo is a topic and how many subscribers it has.
type TopicInfo struct {
	Name        string
	Subscribers int
}

// Topics returns the topics that have subscribers, by name.
func (h *Hub) Topics() []TopicInfo {
	h.mu.RLock()
	list := make([]TopicInfo, 0, len(h.topics))
	for _, t := range h.topics {
		t.mu.RLock()
		list = append(list, TopicInfo{Name: t.name, Subscribers: len(t.subs)})
		t.mu.RUnlock()
	}
	h.mu.RUnlock()
	slices.SortFunc(list, func(a, b TopicInfo) int { return strings.Compare(a.Name, b.Name) })
	return list
}

// Subscribers returns how many subscribers topic has.
func (h *Hub) Subscribers(name string) int {
	h.mu.RLock()
	t := h.topics[name]
	h.mu.RUnlock()
	if t == nil {
		return 0
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.subs)
}

// TopicsOf returns the topics s is subscribed to, by name.
func (h *Hub) TopicsOf(s Subscriber) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	m := h.members[s]
	if m == nil {
		return nil
	}
	names := make([]string, len(m.topics))
	for i, t := range m.topics {
		names[i] = t.name
	}
	slices.Sort(names)
	return names
}

// Stats returns the hub's counters. QueuedBytes and Dropped ask every
// subscriber, so Stats costs a little per subscriber: read it for
// metrics, not per message.
func (h *Hub) Stats() Stats {
	c := &h.stats
	st := Stats{
		Published: c.published.Load(), Delivered: c.delivered.Load(), DeliveredBytes: c.deliveredBytes.Load(),
		SlowCloses: c.slowCloses.Load(), Gone: c.gone.Load(), RelayErrors: c.relayErrors.Load(),
		Dropped: c.refused.Load() + c.droppedBefore.Load(),
	}
	h.mu.RLock()
	st.Topics, st.Subscribers = len(h.topics), len(h.members)
	for _, m := range h.members {
		st.Subscriptions += len(m.topics)
		if r, ok := m.sub.(queueReporter); ok {
			st.QueuedBytes += int64(r.Queued())
			st.Dropped += r.Dropped() - m.dropBase
		}
	}
	h.mu.RUnlock()
	return st
}
