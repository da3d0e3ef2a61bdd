package main

import (
	"context"
	"encoding/json"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/fastws/fastws"
)

// start runs the server on a free loopback port until the test ends.
func start(t *testing.T, interval time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, interval) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("the server did not stop")
		}
	})
	return ln.Addr().String()
}

// message is any message of the feed: a tick or a response.
type message struct {
	Type  string          `json:"type"`
	Seq   int             `json:"seq"`
	Time  time.Time       `json:"time"`
	Data  json.RawMessage `json:"data"`
	Error string          `json:"error"`
}

// feed reads a connection's messages, checking the ticks among them.
type feed struct {
	t    *testing.T
	c    *fastws.Conn
	last message // the last tick
}

// next returns the next message, which must be text holding JSON. A tick
// must follow the one before it: the next number, no earlier in time.
func (f *feed) next(ctx context.Context) message {
	f.t.Helper()
	typ, data, err := f.c.ReadMessage(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if typ != fastws.Text {
		f.t.Fatalf("got a %v message", typ)
	}
	var m message
	if err := json.Unmarshal(data, &m); err != nil {
		f.t.Fatalf("%q: %v", data, err)
	}
	if m.Type == "tick" {
		if m.Seq != f.last.Seq+1 || m.Time.Before(f.last.Time) {
			f.t.Fatalf("tick %d at %v after tick %d at %v", m.Seq, m.Time, f.last.Seq, f.last.Time)
		}
		f.last = m
	}
	return m
}

// response sends req and returns the response to it, checking the ticks
// that arrive meanwhile.
func (f *feed) response(ctx context.Context, req string) message {
	f.t.Helper()
	if err := f.c.WriteMessage(ctx, fastws.Text, []byte(req)); err != nil {
		f.t.Fatal(err)
	}
	// Ticks come every few milliseconds; a thousand of them before the
	// response would mean it is not coming.
	for range 1000 {
		if m := f.next(ctx); m.Type != "tick" {
			return m
		}
	}
	f.t.Fatalf("no response to %s", req)
	return message{}
}

func TestFeed(t *testing.T) {
	addr := start(t, 5*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := fastws.Dial(ctx, "ws://"+addr+"/feed", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	f := &feed{t: t, c: c}

	for range 3 {
		if m := f.next(ctx); m.Type != "tick" {
			t.Fatalf("got %+v before any request, want ticks", m)
		}
	}

	m := f.response(ctx, `{"op":"echo","data":{"x":[1,2],"s":"hi"}}`)
	var got any
	if err := json.Unmarshal(m.Data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"x": []any{1.0, 2.0}, "s": "hi"}
	if m.Type != "echo" || !reflect.DeepEqual(got, want) {
		t.Fatalf("echo: got %+v", m)
	}

	for _, req := range []string{`{"op":"nope"}`, `not JSON`, `{"op":`} {
		if m := f.response(ctx, req); m.Type != "error" || m.Error == "" {
			t.Fatalf("%s: got %+v, want an error response", req, m)
		}
	}

	// The connection went on after the bad requests.
	if m := f.response(ctx, `{"op":"echo","data":"still here"}`); m.Type != "echo" || string(m.Data) != `"still here"` {
		t.Fatalf("echo: got %+v", m)
	}
	if f.last.Seq < 3 {
		t.Fatalf("saw %d ticks", f.last.Seq)
	}
	if err := c.Close(fastws.CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
}
