package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/testtime"
)

// startServe runs `fastws serve` with cfg on a loopback port until the end
// of the test; setup, when not nil, runs on the server before it serves.
func startServe(t *testing.T, cfg chatConfig, setup func(*demoServer)) (*demoServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServeServer(defaultFlags(), cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	if setup != nil {
		setup(srv)
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-served
	})
	return srv, ln.Addr().String()
}

// testChatConfig is the default chat with a fast stats timer and fast
// presence rounds, so that tests wait for them briefly.
func testChatConfig() chatConfig {
	cfg := defaultChatConfig()
	cfg.statsInterval = 50 * time.Millisecond
	cfg.presenceInterval = 100 * time.Millisecond
	return cfg
}

// wire is any message the server sends.
type wire struct {
	Type        string   `json:"type"`
	Room        string   `json:"room"`
	Name        string   `json:"name"`
	Names       []string `json:"names"`
	Text        string   `json:"text"`
	Time        string   `json:"time"`
	Error       string   `json:"error"`
	Node        string   `json:"node"`
	Nodes       int      `json:"nodes"`
	Connections int64    `json:"connections"`
	Users       int      `json:"users"`
	Rooms       int      `json:"rooms"`
	PerSec      float64  `json:"messagesPerSec"`
}

func (w wire) String() string {
	b, _ := json.Marshal(w)
	return string(b)
}

// peer is a chat client as a test drives it: what it receives is decoded
// by a goroutine of its own and waits in a channel.
type peer struct {
	t    *testing.T
	name string // for messages
	c    *fastws.Conn
	in   chan wire
	done chan struct{}
	err  error // how reading ended, once done is closed
}

// dialChat connects a peer to addr's chat, at path (with its query).
func dialChat(t *testing.T, addr, label, path string) *peer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(10*time.Second))
	defer cancel()
	c, _, err := fastws.Dial(ctx, "ws://"+addr+path, nil)
	if err != nil {
		t.Fatalf("%s: dial: %v", label, err)
	}
	p := &peer{t: t, name: label, c: c, in: make(chan wire, 1000), done: make(chan struct{})}
	go p.read()
	t.Cleanup(func() {
		c.CloseNow()
		<-p.done
	})
	return p
}

func (p *peer) read() {
	defer close(p.done)
	defer close(p.in)
	for {
		typ, msg, err := p.c.ReadMessage(context.Background())
		if err != nil {
			p.err = err
			return
		}
		var w wire
		if typ != fastws.Text || json.Unmarshal(msg, &w) != nil {
			w = wire{Type: fmt.Sprintf("undecodable %v %q", typ, msg)}
		}
		p.in <- w
	}
}

// sendRaw sends one text message as it is.
func (p *peer) sendRaw(typ fastws.MessageType, msg string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(10*time.Second))
	defer cancel()
	if err := p.c.WriteMessage(ctx, typ, []byte(msg)); err != nil {
		p.t.Fatalf("%s: send %.40q: %v", p.name, msg, err)
	}
}

func (p *peer) send(v map[string]string) {
	p.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(fastws.Text, string(b))
}

func (p *peer) join(room, name string) {
	p.t.Helper()
	p.send(map[string]string{"type": "join", "room": room, "name": name})
}

func (p *peer) say(text string) {
	p.t.Helper()
	p.send(map[string]string{"type": "say", "text": text})
}

// next returns the next message, failing the test if none comes in time.
func (p *peer) next() wire {
	p.t.Helper()
	select {
	case w, ok := <-p.in:
		if !ok {
			p.t.Fatalf("%s: connection ended: %v", p.name, p.err)
		}
		return w
	case <-time.After(testtime.Limit(10 * time.Second)):
		p.t.Fatalf("%s: no message in time", p.name)
	}
	panic("unreachable")
}

// expect checks that the next message is want, ignoring its time (which
// must parse when there is one).
func (p *peer) expect(want wire) wire {
	p.t.Helper()
	got := p.next()
	if got.Time != "" {
		if _, err := time.Parse(chatTime, got.Time); err != nil {
			p.t.Errorf("%s: time %q: %v", p.name, got.Time, err)
		}
	}
	cmp := got
	cmp.Time = ""
	if cmp.String() != want.String() {
		p.t.Fatalf("%s: got %s\nwant %s", p.name, got, want)
	}
	return got
}

// expectError checks that the next message is an error that says what.
func (p *peer) expectError(what string) {
	p.t.Helper()
	got := p.next()
	if got.Type != "error" || !strings.Contains(got.Error, what) {
		p.t.Fatalf("%s: got %s, want an error saying %q", p.name, got, what)
	}
}

// waitFor skips messages until one satisfies ok, which it returns.
func (p *peer) waitFor(what string, ok func(wire) bool) wire {
	p.t.Helper()
	deadline := time.After(testtime.Limit(15 * time.Second))
	for {
		select {
		case w, open := <-p.in:
			if !open {
				p.t.Fatalf("%s: connection ended waiting for %s: %v", p.name, what, p.err)
			}
			if ok(w) {
				return w
			}
		case <-deadline:
			p.t.Fatalf("%s: no %s in time", p.name, what)
		}
	}
}

// waitMembers waits for the member list of room to be names.
func (p *peer) waitMembers(room string, names ...string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("members %s %v", room, names), func(w wire) bool {
		return w.Type == "members" && w.Room == room && slices.Equal(w.Names, names)
	})
}

func joined(room, name string) wire { return wire{Type: "joined", Room: room, Name: name} }
func left(room, name string) wire   { return wire{Type: "left", Room: room, Name: name} }
func members(room string, names ...string) wire {
	return wire{Type: "members", Room: room, Names: names}
}
func said(room, name, text string) wire {
	return wire{Type: "message", Room: room, Name: name, Text: text}
}

// fakeClock is a rate limit's clock that moves only when told. It counts
// the times it is read, once per connection opened and once per message
// handled, so a test knows when the server has seen what it sent.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	reads int
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	return c.t
}

// waitReads waits until the clock has been read n times.
func (c *fakeClock) waitReads(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(testtime.Limit(10 * time.Second))
	for {
		c.mu.Lock()
		reads := c.reads
		c.mu.Unlock()
		if reads >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server handled %d messages and connections, want %d", reads, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
