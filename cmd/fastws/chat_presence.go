package main

import (
	"encoding/json"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws"
)

// Presence across nodes. Chat messages and join and leave notices need
// nothing special: they are published on the room's topic, which the
// bridge carries to every node. Who is in a room does: each node knows
// only its own connections. So the nodes tell each other their rosters
// on presenceTopic, which the bridge carries too:
//
//	{"type":"roster","node":"N","seq":7,"rooms":{"lobby":["alice"]}}               after each join or leave here, the room's names here
//	{"type":"roster","node":"N","seq":8,"full":true,"rooms":{"lobby":["alice"]}}   every -presence-interval: all of this node's rooms
//	{"type":"hello","node":"N"}                                                    a node starting: the others answer with their full rosters
//	{"type":"bye","node":"N"}                                                      a node stopping: forget it
//
// Each but bye also carries "every", the sender's -presence-interval in
// milliseconds.
//
// A node's messages may arrive out of order (its connections publish from
// several event loops), so each carries a number from one counter, and a
// room's names are only replaced by newer ones; a full roster also drops
// the rooms it no longer lists. A node that stops without a bye (killed,
// cut off) is forgotten once it has not been heard from for three of its
// intervals. Each node merges its own roster with the others' into the
// member lists it sends its clients.

// presenceMessage is one node's message to the others.
type presenceMessage struct {
	Type  string              `json:"type"`
	Node  string              `json:"node"`
	Seq   uint64              `json:"seq,omitempty"`
	Full  bool                `json:"full,omitempty"`
	Every int64               `json:"every,omitempty"` // ms between the sender's full rosters
	Rooms map[string][]string `json:"rooms,omitempty"`
}

// remoteNode is what this node knows of another.
type remoteNode struct {
	seen   time.Time
	expiry time.Duration // silence after which it is forgotten: three of its intervals
	rooms  map[string]remoteRoom
}

// remoteRoom is a room's names on another node, from its message seq. A
// room that emptied is kept, empty, until a full roster drops it, so that
// an older message cannot bring it back.
type remoteRoom struct {
	names []string
	seq   uint64
}

// Bounds on what the other nodes may make this one hold, should one of
// them misbehave: anything on the NATS server can publish on the chat's
// subjects.
const (
	maxRemoteNodes = 256
	maxRemoteRooms = 4096 // a node's
	maxRemoteNames = 4096 // a room's on one node
	presenceExpiry = 3    // intervals without a word before a node is forgotten
)

// presenceInbox is the hub's subscriber on presenceTopic. The hub
// delivers on the publisher's goroutine, which may hold chatService.mu,
// so the messages wait here for run instead of being applied at once.
type presenceInbox struct {
	ch      chan *fastws.PreparedMessage
	dropped atomic.Int64 // when full: the next full rosters make up for it
}

func newPresenceInbox() *presenceInbox {
	return &presenceInbox{ch: make(chan *fastws.PreparedMessage, 1024)}
}

func (p *presenceInbox) WritePrepared(pm *fastws.PreparedMessage) error {
	select {
	case p.ch <- pm:
	default:
		p.dropped.Add(1)
	}
	return nil
}

// publishRoomLocked tells the other nodes room's names here, after they
// changed.
func (svc *chatService) publishRoomLocked(room string) {
	if svc.bridge == nil {
		return
	}
	svc.seq++
	svc.publishPresence(presenceMessage{Type: "roster", Node: svc.node, Seq: svc.seq,
		Rooms: map[string][]string{room: svc.localNamesLocked(room)}})
}

// publishFullLocked tells the other nodes every room's names here.
func (svc *chatService) publishFullLocked() {
	svc.seq++
	rooms := make(map[string][]string, len(svc.rooms))
	for room := range svc.rooms {
		rooms[room] = svc.localNamesLocked(room)
	}
	svc.publishPresence(presenceMessage{Type: "roster", Node: svc.node, Seq: svc.seq, Full: true, Rooms: rooms})
}

func (svc *chatService) publishPresence(m presenceMessage) {
	if m.Type != "bye" {
		m.Every = svc.cfg.presenceInterval.Milliseconds()
	}
	_ = svc.hub.Publish(presenceTopic, fastws.Text, encode(m))
}

func (svc *chatService) sayHello() {
	svc.publishPresence(presenceMessage{Type: "hello", Node: svc.node})
}

func (svc *chatService) sayBye() {
	svc.publishPresence(presenceMessage{Type: "bye", Node: svc.node})
}

// republish is run's turn every interval: this node's full roster out,
// and the nodes not heard from for too long forgotten.
func (svc *chatService) republish(now time.Time) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	svc.publishFullLocked()
	for id, n := range svc.nodes {
		if now.Sub(n.seen) > n.expiry {
			svc.forgetLocked(id)
		}
	}
}

// applyPresence takes in another node's message; this node's own come
// back from the hub too, and are ignored.
func (svc *chatService) applyPresence(p []byte, now time.Time) {
	var m presenceMessage
	if json.Unmarshal(p, &m) != nil || m.Node == "" || m.Node == svc.node {
		return
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	switch m.Type {
	case "bye":
		svc.forgetLocked(m.Node)
		return
	case "hello":
		svc.publishFullLocked()
	}
	n := svc.nodes[m.Node]
	if n == nil {
		if len(svc.nodes) >= maxRemoteNodes {
			return
		}
		n = &remoteNode{rooms: make(map[string]remoteRoom)}
		svc.nodes[m.Node] = n
	}
	n.seen = now
	// The sender's own interval, so that nodes with different
	// -presence-interval do not forget one another between rounds.
	n.expiry = presenceExpiry * svc.cfg.presenceInterval
	if m.Every > 0 {
		n.expiry = presenceExpiry * time.Duration(min(m.Every, int64(time.Hour/time.Millisecond))) * time.Millisecond
	}
	if m.Type != "roster" {
		return
	}
	var changed []string
	for room, names := range m.Rooms {
		if old, ok := n.rooms[room]; (ok && old.seq >= m.Seq) || checkRoom(room) != nil {
			continue
		}
		if _, ok := n.rooms[room]; !ok && len(n.rooms) >= maxRemoteRooms {
			continue
		}
		names = validNames(names)
		if !slices.Equal(names, n.rooms[room].names) {
			changed = append(changed, room)
		}
		n.rooms[room] = remoteRoom{names: names, seq: m.Seq}
	}
	if m.Full {
		for room, r := range n.rooms {
			if _, listed := m.Rooms[room]; !listed && r.seq < m.Seq {
				if len(r.names) > 0 {
					changed = append(changed, room)
				}
				delete(n.rooms, room)
			}
		}
	}
	for _, room := range changed {
		svc.deliverMembersLocked(room)
	}
}

// forgetLocked drops a node, and its names from the member lists here.
func (svc *chatService) forgetLocked(id string) {
	n := svc.nodes[id]
	if n == nil {
		return
	}
	delete(svc.nodes, id)
	for _, room := range slices.Sorted(maps.Keys(n.rooms)) {
		if len(n.rooms[room].names) > 0 {
			svc.deliverMembersLocked(room)
		}
	}
}

// validNames keeps the names a client here could have chosen, sorted, so
// that a room's lists compare equal when their names are.
func validNames(names []string) []string {
	out := make([]string, 0, min(len(names), maxRemoteNames))
	for _, name := range names {
		if len(out) == maxRemoteNames {
			break
		}
		if ok, err := checkName(name); err == nil && ok == name {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
