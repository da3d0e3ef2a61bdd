package main

import (
	"slices"

	"github.com/fastws/fastws"
)

// joinLocked puts s in room as name. Subscribing before the notice goes
// out lets the joiner hear its own join: that is how a client learns the
// join worked.
func (svc *chatService) joinLocked(s *fastws.Session, c *chatClient, room, name string) {
	here := svc.rooms[room]
	if here == nil {
		here = make(map[*fastws.Session]string)
		svc.rooms[room] = here
	}
	here[s] = name
	c.room, c.name = room, name
	topic := roomTopic(room)
	svc.hub.Subscribe(s, topic)
	_ = svc.hub.Publish(topic, fastws.Text, encode(chatNotice{Type: "joined", Room: room, Name: name}))
	svc.deliverMembersLocked(room)
	svc.publishRoomLocked(room)
}

// leaveLocked takes s out of its room. The leaver, when still connected,
// hears its own leave before it is unsubscribed, as it heard its join.
func (svc *chatService) leaveLocked(s *fastws.Session, c *chatClient) {
	room, name := c.room, c.name
	c.room, c.name = "", ""
	if here := svc.rooms[room]; here != nil {
		delete(here, s)
		if len(here) == 0 {
			delete(svc.rooms, room)
		}
	}
	topic := roomTopic(room)
	_ = svc.hub.Publish(topic, fastws.Text, encode(chatNotice{Type: "left", Room: room, Name: name}))
	svc.hub.Unsubscribe(s, topic)
	svc.deliverMembersLocked(room)
	svc.publishRoomLocked(room)
}

// localNamesLocked returns the names in room on this node, sorted.
func (svc *chatService) localNamesLocked(room string) []string {
	names := make([]string, 0, len(svc.rooms[room]))
	for _, name := range svc.rooms[room] {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// membersLocked returns the names in room on every node this one knows
// of, sorted; a name twice in the room is there twice.
func (svc *chatService) membersLocked(room string) []string {
	names := svc.localNamesLocked(room)
	for _, n := range svc.nodes {
		names = append(names, n.rooms[room].names...)
	}
	slices.Sort(names)
	return names
}

// deliverMembersLocked sends room's member list to its subscribers here.
// Each node sends its own clients the list it knows, so the list is
// delivered rather than published: the other nodes send theirs.
func (svc *chatService) deliverMembersLocked(room string) {
	if len(svc.rooms[room]) == 0 {
		return
	}
	msg := encode(chatMembers{Type: "members", Room: room, Names: svc.membersLocked(room)})
	pm, err := fastws.NewPreparedMessage(fastws.Text, msg)
	if err != nil {
		panic(err) // encoding/json writes valid UTF-8
	}
	svc.hub.Deliver(roomTopic(room), pm)
}
