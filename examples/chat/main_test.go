package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
)

// start runs the server on a free loopback port until the test ends.
func start(t *testing.T, cfg config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, ln, cfg) }()
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

// join connects to the chat and checks the welcome that names the client.
// The connection is dropped when the test ends, if the test has not
// closed it.
func join(ctx context.Context, t *testing.T, addr, name string) *fastws.Conn {
	t.Helper()
	c, _, err := fastws.Dial(ctx, "ws://"+addr+"/chat", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	expect(ctx, t, c, "* welcome, "+name)
	return c
}

// expect reads the next messages of c and checks they are want.
func expect(ctx context.Context, t *testing.T, c *fastws.Conn, want ...string) {
	t.Helper()
	for _, w := range want {
		got := read(ctx, t, c)
		if got != w {
			t.Fatalf("got %.40q, want %.40q", got, w)
		}
	}
}

// read returns the next message of c, which must be text.
func read(ctx context.Context, t *testing.T, c *fastws.Conn) string {
	t.Helper()
	typ, msg, err := c.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if typ != fastws.Text {
		t.Fatalf("got a %v message", typ)
	}
	return string(msg)
}

func say(ctx context.Context, t *testing.T, c *fastws.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(ctx, fastws.Text, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// Everyone gets every message, in the order sent, and the notices of who
// comes and goes.
func TestChatBroadcast(t *testing.T) {
	addr := start(t, config{queueLen: 16, writeTimeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a := join(ctx, t, addr, "guest 1")
	b := join(ctx, t, addr, "guest 2")
	c := join(ctx, t, addr, "guest 3")
	for _, m := range []string{"one", "two", "three"} {
		say(ctx, t, a, m)
	}
	chat := []string{"guest 1: one", "guest 1: two", "guest 1: three"}
	expect(ctx, t, a, append([]string{"* guest 2 joined", "* guest 3 joined"}, chat...)...)
	expect(ctx, t, b, append([]string{"* guest 3 joined"}, chat...)...)
	expect(ctx, t, c, chat...)

	if err := b.Close(fastws.CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
	// The notice is sent once the server has seen b go, which may be
	// after b's Close returns: c speaks only once it has the notice.
	expect(ctx, t, c, "* guest 2 left")
	say(ctx, t, c, "bye, b")
	expect(ctx, t, a, "* guest 2 left", "guest 3: bye, b")
	expect(ctx, t, c, "guest 3: bye, b")
}

// A binary message is refused with 1003 and the others hear that its
// sender left.
func TestChatRefusesBinary(t *testing.T) {
	addr := start(t, config{queueLen: 16, writeTimeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a := join(ctx, t, addr, "guest 1")
	b := join(ctx, t, addr, "guest 2")
	if err := b.WriteMessage(ctx, fastws.Binary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	_, _, err := b.ReadMessage(ctx)
	if code := fastws.CloseStatus(err); code != fastws.CloseUnsupportedData {
		t.Fatalf("the sender read %v, want 1003", err)
	}
	expect(ctx, t, a, "* guest 2 joined", "* guest 2 left")
}

// A client that never reads is dropped once its queue is full, and the
// others go on getting every message meanwhile.
func TestChatDropsSlowClient(t *testing.T) {
	addr := start(t, config{queueLen: 8, writeTimeout: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a := join(ctx, t, addr, "guest 1")
	b := join(ctx, t, addr, "guest 2")
	slow := join(ctx, t, addr, "guest 3")
	expect(ctx, t, a, "* guest 2 joined", "* guest 3 joined")
	expect(ctx, t, b, "* guest 3 joined")

	// a says large things, one at a time: each round waits until a and b
	// have the message, so neither ever has more than one queued, while
	// slow's socket buffers fill up and then its queue. A few MiB of
	// socket buffer on loopback fill in a few hundred rounds.
	const maxRounds = 2000
	padding := strings.Repeat("x", 32<<10)
	dropped := false
	rounds := 0
	for ; rounds < maxRounds && !dropped; rounds++ {
		say(ctx, t, a, strconv.Itoa(rounds)+" "+padding)
		want := "guest 1: " + strconv.Itoa(rounds) + " " + padding
		var saw [2]bool
		for i, p := range []*fastws.Conn{a, b} {
			got := read(ctx, t, p)
			if got == "* guest 3 was dropped (too slow)" {
				saw[i] = true
				got = read(ctx, t, p)
			}
			if got != want {
				t.Fatalf("round %d: got %.40q, want %.40q", rounds, got, want)
			}
		}
		// Both queues get the notice between the same two messages.
		if saw[0] != saw[1] {
			t.Fatalf("round %d: only one of the others heard of the drop", rounds)
		}
		dropped = saw[0]
	}
	if !dropped {
		t.Fatalf("the slow client was not dropped in %d rounds", maxRounds)
	}
	t.Logf("dropped after %d rounds of %d KiB", rounds, len(padding)>>10)

	say(ctx, t, b, "still here")
	expect(ctx, t, a, "guest 2: still here")
	expect(ctx, t, b, "guest 2: still here")

	// What reached slow is what was said, in order, and then its
	// connection ends: with 1008 if it was between two messages when it
	// was dropped, cut (1006) if it was in the middle of one.
	for i := 0; ; i++ {
		if i > rounds {
			t.Fatalf("the slow client got more messages than were sent")
		}
		_, msg, err := slow.ReadMessage(ctx)
		if err != nil {
			var ce *fastws.CloseError
			if !errors.As(err, &ce) || (ce.Code != fastws.ClosePolicyViolation && ce.Code != fastws.CloseAbnormal) {
				t.Fatalf("the slow client's connection ended with %v, want 1008 or 1006", err)
			}
			t.Logf("the slow client read %d messages, then %v", i, err)
			break
		}
		if want := fmt.Sprintf("guest 1: %d %s", i, padding); string(msg) != want {
			t.Fatalf("the slow client's message %d is %.40q, want %.40q", i, msg, want)
		}
	}
}
