package main

import (
	"strings"
	"testing"
	"time"
)

// FuzzChatRequest feeds the chat's parser and checks what a client may
// send: never a panic, and nothing the checks accept breaks their rules.
func FuzzChatRequest(f *testing.F) {
	for _, s := range []string{
		`{"type":"join","room":"lobby","name":"ann"}`,
		`{"type":"say","text":"hi"}`,
		`{"type":"leave"}`,
		`{"type":"join","name":"<script>"}`,
		`{"type":"say","text":"\u001b[2J"}`,
		`{"type":1}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		req, err := parseChatRequest(p)
		if err != nil {
			return
		}
		if req.Type == "" {
			t.Fatal("a request without a type was accepted")
		}
		if name, err := checkName(req.Name); err == nil && (name == "" || strings.ContainsAny(name, "<>") || len([]rune(name)) > maxNameLen) {
			t.Fatalf("name %q accepted", name)
		}
		if checkRoom(req.Room) == nil && (req.Room == "" || len(req.Room) > maxRoomLen || strings.ContainsAny(req.Room, ".*> %")) {
			t.Fatalf("room %q accepted", req.Room)
		}
		if checkText(req.Text) == nil && strings.ContainsAny(req.Text, "\x00\x1b\r") {
			t.Fatalf("text %q accepted", req.Text)
		}
	})
}

// FuzzPresence feeds another node's presence message, which comes over
// NATS from any process that shares the subject prefix.
func FuzzPresence(f *testing.F) {
	for _, s := range []string{
		`{"type":"roster","node":"N","seq":8,"full":true,"rooms":{"lobby":["alice"]}}`,
		`{"type":"hello","node":"M","every":5000}`,
		`{"type":"bye","node":"N"}`,
		`{"type":"roster","node":"N","seq":-1,"rooms":{"":[""]},"every":-5}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		svc := newChatService(testChatConfig(), false)
		svc.applyPresence(p, time.Unix(1e9, 0))
		svc.republish(time.Unix(1e9+3600, 0))
	})
}
