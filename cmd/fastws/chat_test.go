package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// Two clients in a room: each hears the other's join, both get the
// member list after each change, every message reaches both with its
// room, name and time, and a leave or a dropped connection is told.
func TestChatTwoClientsTalk(t *testing.T) {
	leakcheck.Check(t)
	_, addr := startServe(t, testChatConfig(), nil)
	alice := dialChat(t, addr, "alice", "/chat")
	bob := dialChat(t, addr, "bob", "/chat")

	alice.join("lobby", "alice")
	alice.expect(joined("lobby", "alice"))
	alice.expect(members("lobby", "alice"))
	bob.join("", " bob ") // the default room, and the name trimmed
	bob.expect(joined("lobby", "bob"))
	bob.expect(members("lobby", "alice", "bob"))
	alice.expect(joined("lobby", "bob"))
	alice.expect(members("lobby", "alice", "bob"))

	alice.say("hello, bob")
	bob.expect(said("lobby", "alice", "hello, bob"))
	alice.expect(said("lobby", "alice", "hello, bob"))
	bob.say("hi <alice> & \"friends\"\n\tsecond line")
	alice.expect(said("lobby", "bob", "hi <alice> & \"friends\"\n\tsecond line"))
	bob.expect(said("lobby", "bob", "hi <alice> & \"friends\"\n\tsecond line"))

	bob.send(map[string]string{"type": "leave"})
	bob.expect(left("lobby", "bob"))
	alice.expect(left("lobby", "bob"))
	alice.expect(members("lobby", "alice"))

	// bob, out of the room, hears nothing more of it.
	alice.say("still there?")
	alice.expect(said("lobby", "alice", "still there?"))
	bob.join("lobby", "bob")
	bob.expect(joined("lobby", "bob"))
	bob.expect(members("lobby", "alice", "bob"))
	alice.expect(joined("lobby", "bob"))
	alice.expect(members("lobby", "alice", "bob"))

	// A connection that ends leaves its room.
	bob.c.CloseNow()
	alice.expect(left("lobby", "bob"))
	alice.expect(members("lobby", "alice"))

	// Two connections may share a name: a reconnecting client's old
	// connection may not be gone yet.
	carol := dialChat(t, addr, "carol", "/chat")
	carol.join("lobby", "alice")
	carol.expect(joined("lobby", "alice"))
	carol.expect(members("lobby", "alice", "alice"))
	alice.expect(joined("lobby", "alice"))
	alice.expect(members("lobby", "alice", "alice"))
}

// Rooms are isolated: a message, a join or a leave reaches the room's
// members only; joining another room leaves the first.
func TestChatRoomsAreIsolated(t *testing.T) {
	leakcheck.Check(t)
	_, addr := startServe(t, testChatConfig(), nil)
	a := dialChat(t, addr, "a", "/chat")
	b := dialChat(t, addr, "b", "/chat")
	c := dialChat(t, addr, "c", "/chat")
	a.join("red", "a")
	a.expect(joined("red", "a"))
	a.expect(members("red", "a"))
	b.join("blue", "b")
	b.expect(joined("blue", "b"))
	b.expect(members("blue", "b"))
	c.join("red", "c")
	c.expect(joined("red", "c"))
	c.expect(members("red", "a", "c"))
	a.expect(joined("red", "c"))
	a.expect(members("red", "a", "c"))

	b.say("blue only")
	b.expect(said("blue", "b", "blue only"))
	a.say("red only")
	a.expect(said("red", "a", "red only"))
	c.expect(said("red", "a", "red only"))

	// a moves to blue: red hears it leave, blue hears it join.
	a.join("blue", "a")
	a.expect(left("red", "a"))
	a.expect(joined("blue", "a"))
	a.expect(members("blue", "a", "b"))
	c.expect(left("red", "a"))
	c.expect(members("red", "c"))
	// Had anything of red reached b, it would come before this.
	b.expect(joined("blue", "a"))
	b.expect(members("blue", "a", "b"))
	c.say("alone in red")
	c.expect(said("red", "c", "alone in red"))
	a.say("in blue")
	a.expect(said("blue", "a", "in blue"))
	b.expect(said("blue", "a", "in blue"))
}

// Every kind of bad input gets an error to its sender alone, the
// request has no effect, and the sender stays connected and in its room.
func TestChatBadInputIsToldToTheSenderOnly(t *testing.T) {
	leakcheck.Check(t)
	cfg := testChatConfig()
	cfg.rate = 0 // this test sends fast; the rate limit has its own
	_, addr := startServe(t, cfg, nil)
	alice := dialChat(t, addr, "alice", "/chat")
	bob := dialChat(t, addr, "bob", "/chat")
	alice.join("lobby", "alice")
	alice.expect(joined("lobby", "alice"))
	alice.expect(members("lobby", "alice"))
	bob.join("lobby", "bob")
	bob.expect(joined("lobby", "bob"))
	bob.expect(members("lobby", "alice", "bob"))
	alice.expect(joined("lobby", "bob"))
	alice.expect(members("lobby", "alice", "bob"))

	for _, tc := range []struct {
		name string
		typ  fastws.MessageType
		msg  string
		want string // in the error
	}{
		{"invalid JSON", fastws.Text, `not json`, "invalid JSON"},
		{"truncated JSON", fastws.Text, `{"type":"say","text":"hi`, "invalid JSON"},
		{"JSON not an object", fastws.Text, `["say","hi"]`, "invalid message"},
		{"wrong field type", fastws.Text, `{"type":"say","text":5}`, "invalid message"},
		{"no type", fastws.Text, `{"text":"hi"}`, `no "type"`},
		{"unknown type", fastws.Text, `{"type":"shout","text":"hi"}`, "unknown type"},
		{"binary", fastws.Binary, `{"type":"say","text":"hi"}`, "binary message"},
		{"text too long", fastws.Text, `{"type":"say","text":"` + strings.Repeat("é", maxTextLen+1) + `"}`, "2001 characters, at most 2000"},
		{"empty text", fastws.Text, `{"type":"say","text":" \n "}`, "text: empty"},
		{"terminal escape in text", fastws.Text, `{"type":"say","text":"\u001b[2Jgotcha"}`, "control character U+001B"},
		{"NUL in text", fastws.Text, `{"type":"say","text":"a\u0000b"}`, "control character U+0000"},
		{"markup in name", fastws.Text, `{"type":"join","room":"lobby","name":"<script>alert(1)</script>"}`, "no < or >"},
		{"control character in name", fastws.Text, `{"type":"join","room":"lobby","name":"bell\u0007"}`, "U+0007 is not a printable"},
		{"direction override in name", fastws.Text, `{"type":"join","room":"lobby","name":"abc\u202Edef"}`, "U+202E is not a printable"},
		{"name too long", fastws.Text, `{"type":"join","room":"lobby","name":"` + strings.Repeat("n", maxNameLen+1) + `"}`, "33 characters, at most 32"},
		{"empty name", fastws.Text, `{"type":"join","room":"lobby","name":"  "}`, "name: empty"},
		{"bad room", fastws.Text, `{"type":"join","room":"../etc","name":"alice"}`, "room: letters, digits"},
		{"room too long", fastws.Text, `{"type":"join","room":"` + strings.Repeat("r", maxRoomLen+1) + `","name":"alice"}`, "room: want 1 to 32"},
		{"join again", fastws.Text, `{"type":"join","room":"lobby","name":"alice"}`, "already in lobby as alice"},
	} {
		alice.sendRaw(tc.typ, tc.msg)
		alice.expectError(tc.want)
		// alice is still in the room under her name, and bob's next
		// message is hers: nothing of the bad one reached him.
		alice.say("after " + tc.name)
		bob.expect(said("lobby", "alice", "after "+tc.name))
		alice.expect(said("lobby", "alice", "after "+tc.name))
	}

	// Saying or leaving before joining.
	carol := dialChat(t, addr, "carol", "/chat")
	carol.say("anyone?")
	carol.expectError("join a room first")
	carol.send(map[string]string{"type": "leave"})
	carol.expectError("not in a room")
	alice.say("marker")
	bob.expect(said("lobby", "alice", "marker"))
}

// A frame over the chat's 16 KiB limit is not an error message but a
// breach: the connection is closed with 1009, and the room hears only
// that its sender left.
func TestChatOversizedMessageCloses1009(t *testing.T) {
	leakcheck.Check(t)
	_, addr := startServe(t, testChatConfig(), nil)
	alice := dialChat(t, addr, "alice", "/chat")
	bob := dialChat(t, addr, "bob", "/chat")
	alice.join("lobby", "alice")
	alice.expect(joined("lobby", "alice"))
	alice.expect(members("lobby", "alice"))
	bob.join("lobby", "bob")
	bob.expect(joined("lobby", "bob"))
	bob.expect(members("lobby", "alice", "bob"))

	alice.sendRaw(fastws.Text, `{"type":"say","text":"`+strings.Repeat("x", chatMaxMessage)+`"}`)
	for {
		w, ok := <-alice.in
		if !ok {
			break
		}
		if w.Type != "joined" && w.Type != "members" {
			t.Errorf("alice got %s", w)
		}
	}
	if code := fastws.CloseStatus(alice.err); code != fastws.CloseMessageTooBig {
		t.Fatalf("alice's connection ended with %v, want 1009", alice.err)
	}
	bob.expect(left("lobby", "alice"))
	bob.expect(members("lobby", "bob"))
}

// A flood from one client: a burst of 10 passes, the rest is dropped
// with one error to the flooder (not one per message), and once the
// bucket has refilled the client may talk again.
func TestChatRateLimit(t *testing.T) {
	leakcheck.Check(t)
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	_, addr := startServe(t, testChatConfig(), func(d *demoServer) { d.chat.now = clock.now })
	alice := dialChat(t, addr, "alice", "/chat")
	bob := dialChat(t, addr, "bob", "/chat")
	bob.join("lobby", "bob")
	bob.expect(joined("lobby", "bob"))
	bob.expect(members("lobby", "bob"))
	alice.join("lobby", "alice") // a token, as every message
	alice.expect(joined("lobby", "alice"))
	alice.expect(members("lobby", "alice", "bob"))
	bob.expect(joined("lobby", "alice"))
	bob.expect(members("lobby", "alice", "bob"))

	for i := range 30 {
		alice.say("flood " + string(rune('A'+i)))
	}
	for i := range defaultChatBurst - 1 {
		alice.expect(said("lobby", "alice", "flood "+string(rune('A'+i))))
		bob.expect(said("lobby", "alice", "flood "+string(rune('A'+i))))
	}
	alice.expectError("rate limit: at most 5 messages a second, in bursts of 10")
	// Two connections, two joins, 30 messages: all handled, at the same
	// instant, before the clock moves.
	clock.waitReads(t, 34)

	clock.advance(time.Second / 5) // one token
	alice.say("after the flood")
	alice.expect(said("lobby", "alice", "after the flood"))
	bob.expect(said("lobby", "alice", "after the flood"))
	alice.say("too soon")
	alice.expectError("rate limit")
	clock.advance(time.Second)
	alice.say("calm again")
	alice.expect(said("lobby", "alice", "calm again"))
	bob.expect(said("lobby", "alice", "calm again"))
}

// /chat?stats=1 gets the stats at once and then every interval; a plain
// /chat gets none. /stats serves the same as JSON.
func TestChatStats(t *testing.T) {
	leakcheck.Check(t)
	_, addr := startServe(t, testChatConfig(), nil)
	plain := dialChat(t, addr, "plain", "/chat")
	watcher := dialChat(t, addr, "watcher", "/chat?stats=1")
	if w := watcher.next(); w.Type != "stats" || w.Node == "" || w.Nodes != 1 {
		t.Fatalf("first message %s, want stats", w)
	}
	plain.join("lobby", "p")
	plain.expect(joined("lobby", "p"))
	plain.expect(members("lobby", "p"))
	plain.say("one")
	plain.expect(said("lobby", "p", "one"))
	watcher.waitFor("stats with 2 connections and a message said", func(w wire) bool {
		return w.Type == "stats" && w.Connections == 2 && w.Users == 1 && w.Rooms == 1 && w.PerSec > 0
	})
	// The plain client got no stats in all that time.
	plain.say("two")
	plain.expect(said("lobby", "p", "two"))

	resp, err := http.Get("http://" + addr + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var st wire
	if err := json.Unmarshal(body, &st); err != nil || st.Type != "stats" || st.Connections != 2 ||
		resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("/stats: %s %q %v", resp.Status, body, err)
	}
}

// Shutting the server down closes the chat's connections with 1001.
func TestChatShutdownSaysGoingAway(t *testing.T) {
	leakcheck.Check(t)
	srv, addr := startServe(t, testChatConfig(), nil)
	alice := dialChat(t, addr, "alice", "/chat")
	alice.join("lobby", "alice")
	alice.expect(joined("lobby", "alice"))
	alice.expect(members("lobby", "alice"))
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(10*time.Second))
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	<-alice.done
	var ce *fastws.CloseError
	if !errors.As(alice.err, &ce) || ce.Code != fastws.CloseGoingAway {
		t.Fatalf("alice read %v, want 1001", alice.err)
	}
}

// Bad flags exit 2; a NATS server that cannot be reached exits 1, saying
// so.
func TestServeFlags(t *testing.T) {
	leakcheck.Check(t)
	for _, args := range [][]string{{"-rate", "-1"}, {"-burst", "0"}, {"-presence-interval", "0s"}, {"-nats"}} {
		var out, errOut syncBuffer
		if code := run(append([]string{"serve", "-addr", "127.0.0.1:0"}, args...), nil, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut.String())
		}
	}
	var out, errOut syncBuffer
	code := run([]string{"serve", "-addr", "127.0.0.1:0", "-nats", "nats://127.0.0.1:1"}, nil, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "natsbridge: connect") {
		t.Errorf("unreachable NATS server: exit %d, stderr %q", code, errOut.String())
	}
}
