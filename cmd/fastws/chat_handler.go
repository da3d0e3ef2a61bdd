package main

import (
	"errors"
	"net/url"
	"strings"

	"github.com/fastws/fastws"
)

// chatClient is a chat connection's own state, in its Session's Data.
// Only the connection's callbacks touch it, and they never overlap.
type chatClient struct {
	bucket  tokenBucket
	limited bool   // the last message was over the rate limit
	room    string // "" while in no room
	name    string
}

// The chat's callbacks run on the event loops: nothing in them blocks.
// What they publish is queued for each subscriber, and the lock they take
// (chatService.mu) is only ever held while queueing.

// OnOpen makes the connection a chat client; /chat?stats=1 also gets the
// stats message, at once and every second.
func (svc *chatService) OnOpen(s *fastws.Session, req *fastws.OpenRequest) {
	s.Data = &chatClient{bucket: newTokenBucket(svc.cfg.rate, svc.cfg.burst, svc.now())}
	if wantsStats(req.Target()) {
		svc.hub.Subscribe(s, statsTopic)
		_ = s.WriteMessage(fastws.Text, encode(svc.lastStats.Load()))
	}
}

func wantsStats(target string) bool {
	_, query, _ := strings.Cut(target, "?")
	q, _ := url.ParseQuery(query)
	return q.Get("stats") == "1"
}

// OnMessage runs one request. Whatever is wrong with it is told to its
// sender alone, and nothing of it reaches anyone else.
func (svc *chatService) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	c := s.Data.(*chatClient)
	// The limit comes first, so that a flood of garbage costs no parsing,
	// and a flooder hears about it once per flood rather than once per
	// message: its own answers must not become a flood in turn.
	if !c.bucket.take(svc.now()) {
		if !c.limited {
			c.limited = true
			_ = s.WriteMessage(fastws.Text, svc.rateError)
		}
		return
	}
	c.limited = false
	if typ != fastws.Text {
		svc.refuse(s, errors.New("binary message: the chat speaks JSON in text messages"))
		return
	}
	req, err := parseChatRequest(msg)
	if err != nil {
		svc.refuse(s, err)
		return
	}
	switch req.Type {
	case "join":
		err = svc.join(s, c, req)
	case "say":
		err = svc.say(c, req.Text)
	case "leave":
		err = svc.leave(s, c)
	default:
		err = errors.New(`unknown type: want "join", "say" or "leave"`)
	}
	if err != nil {
		svc.refuse(s, err)
	}
}

// OnClose takes the connection out of its room, telling those left.
func (svc *chatService) OnClose(s *fastws.Session, _ fastws.CloseEvent) {
	c := s.Data.(*chatClient)
	svc.hub.UnsubscribeAll(s)
	if c.room != "" {
		svc.mu.Lock()
		svc.leaveLocked(s, c)
		svc.mu.Unlock()
	}
}

// refuse tells s, and only s, what was wrong with its message.
func (svc *chatService) refuse(s *fastws.Session, err error) {
	_ = s.WriteMessage(fastws.Text, errorMessage(err))
}

func (svc *chatService) join(s *fastws.Session, c *chatClient, req chatRequest) error {
	name, err := checkName(req.Name)
	if err != nil {
		return err
	}
	room := req.Room
	if room == "" {
		room = defaultRoom
	}
	if err := checkRoom(room); err != nil {
		return err
	}
	if room == c.room && name == c.name {
		return errors.New("already in " + room + " as " + name)
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if c.room != "" {
		svc.leaveLocked(s, c)
	}
	svc.joinLocked(s, c, room, name)
	return nil
}

func (svc *chatService) leave(s *fastws.Session, c *chatClient) error {
	if c.room == "" {
		return errors.New("not in a room")
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	svc.leaveLocked(s, c)
	return nil
}

// say publishes a message to c's room, encoded once for every
// subscriber here and on the other nodes.
func (svc *chatService) say(c *chatClient, text string) error {
	if c.room == "" {
		return errors.New(`join a room first: {"type":"join","room":"lobby","name":"..."}`)
	}
	if err := checkText(text); err != nil {
		return err
	}
	msg := encode(chatMessage{Type: "message", Room: c.room, Name: c.name, Text: text, Time: nowString()})
	svc.said.Add(1)
	// An error is the Relay's: the room here has the message anyway,
	// and the hub counts the failure (hub.Stats.RelayErrors).
	_ = svc.hub.Publish(roomTopic(c.room), fastws.Text, msg)
	return nil
}
