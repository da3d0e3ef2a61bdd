package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The chat protocol of `fastws serve`, at ws://HOST/chat: every message
// is one JSON object in a text message, with a "type".
//
// Client to server:
//
//	{"type":"join","room":"lobby","name":"alice"}  join a room, leaving the one the connection was in
//	{"type":"say","text":"hello"}                   say something to the room
//	{"type":"leave"}                                leave the room, staying connected
//
// Server to client:
//
//	{"type":"joined","room":"lobby","name":"alice"}            someone joined the room (the joiner hears it too)
//	{"type":"left","room":"lobby","name":"alice"}              someone left it (the leaver too, when it asked)
//	{"type":"members","room":"lobby","names":["alice","bob"]}  who is in the room, on every node, after each change
//	{"type":"message","room":"lobby","name":"alice","text":"hello","time":"2026-01-02T15:04:05.000Z"}
//	{"type":"error","error":"..."}                             to the sender only; its message had no effect
//	{"type":"stats",...}                                       every second, to connections opened as /chat?stats=1 (see chatStats)
//
// A connection is in one room at a time. Names need not be unique: a
// client that reconnects before the server has noticed its old
// connection is gone would otherwise be locked out of its own name.
//
// What a client may send is bounded, and every breach is answered with
// an error to that client alone: a name is 1 to 32 printable characters
// without < or >, a room 1 to 32 letters, digits, '-' or '_', a text 1 to
// 2000 characters without control characters other than tab and newline
// (which would let one client rewrite another's terminal), and each
// connection may send 5 messages a second with bursts of 10 (-rate,
// -burst). A frame over 16 KiB is not an error but a protocol breach: the
// connection is closed with 1009.
const (
	maxNameLen     = 32
	maxRoomLen     = 32
	maxTextLen     = 2000
	chatMaxMessage = 16 << 10
	defaultRoom    = "lobby"
)

// chatRequest is any message a client sends; the fields a type does not
// use are ignored.
type chatRequest struct {
	Type string `json:"type"`
	Room string `json:"room"`
	Name string `json:"name"`
	Text string `json:"text"`
}

// The messages the server sends. Each has its own type, so that what a
// client sees is exactly what the protocol above lists.
type (
	chatMessage struct {
		Type string `json:"type"` // "message"
		Room string `json:"room"`
		Name string `json:"name"`
		Text string `json:"text"`
		Time string `json:"time"`
	}
	chatNotice struct {
		Type string `json:"type"` // "joined" or "left"
		Room string `json:"room"`
		Name string `json:"name"`
	}
	chatMembers struct {
		Type  string   `json:"type"` // "members"
		Room  string   `json:"room"`
		Names []string `json:"names"`
	}
	chatError struct {
		Type  string `json:"type"` // "error"
		Error string `json:"error"`
	}
)

// chatTime is the format of a message's time: UTC, to the millisecond,
// which JavaScript's Date parses.
const chatTime = "2006-01-02T15:04:05.000Z"

// parseChatRequest decodes a client's message, or says what is wrong
// with it in words meant for the client.
func parseChatRequest(p []byte) (chatRequest, error) {
	var r chatRequest
	if err := json.Unmarshal(p, &r); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return r, errors.New("invalid JSON: want one object such as {\"type\":\"say\",\"text\":\"hi\"}")
		}
		return r, fmt.Errorf("invalid message: %v", err)
	}
	if r.Type == "" {
		return r, errors.New(`invalid message: no "type"`)
	}
	return r, nil
}

// checkName trims a name and checks it. Markup is refused even though
// the page shows names as text: other clients (a terminal, a careless
// page) may not.
func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "", errors.New("name: empty; pick a name of 1 to 32 characters")
	case n > maxNameLen:
		return "", fmt.Errorf("name: %d characters, at most %d", n, maxNameLen)
	}
	for _, r := range name {
		switch {
		case r == '<' || r == '>':
			return "", errors.New("name: no < or > (markup) please")
		case !unicode.IsPrint(r):
			return "", fmt.Errorf("name: %U is not a printable character", r)
		}
	}
	return name, nil
}

// checkRoom checks a room's name, which becomes part of a hub topic and,
// with -nats, of a NATS subject: only characters safe in both.
func checkRoom(room string) error {
	if room == "" || len(room) > maxRoomLen {
		return fmt.Errorf("room: want 1 to %d characters", maxRoomLen)
	}
	for _, r := range room {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return errors.New("room: letters, digits, - and _ only")
		}
	}
	return nil
}

// checkText checks what a client says.
func checkText(text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("text: empty")
	}
	if n := utf8.RuneCountInString(text); n > maxTextLen {
		return fmt.Errorf("text: %d characters, at most %d", n, maxTextLen)
	}
	for _, r := range text {
		if r != '\n' && r != '\t' && (unicode.IsControl(r) || r == '\u2028' || r == '\u2029') {
			return fmt.Errorf("text: control character %U", r)
		}
	}
	return nil
}

// encode marshals one of the server's messages. They hold only strings
// and numbers, so Marshal cannot fail on them.
func encode(v any) []byte {
	p, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return p
}

func errorMessage(err error) []byte {
	return encode(chatError{Type: "error", Error: err.Error()})
}

func nowString() string { return time.Now().UTC().Format(chatTime) }
