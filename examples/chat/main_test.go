package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/nats-io/nats-server/v2/server"
)

// start runs a chat on a free loopback port until the test ends, and
// returns its address and the chat, whose hub the tests look at.
func start(t *testing.T, cfg config) (string, *chat) {
	t.Helper()
	if cfg.queue == 0 {
		cfg.queue = 16
	}
	if cfg.policy == fastws.QueueRefuse {
		cfg.policy = fastws.QueueClose
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := newChat(cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("the server did not stop")
		}
	})
	return ln.Addr().String(), c
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

// waitFor polls cond until it holds, for 10 seconds at most.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// Everyone gets every message, in the order sent, and the notices of who
// comes and goes.
func TestChatBroadcast(t *testing.T) {
	addr, _ := start(t, config{})
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
	// The notice is published once the server has seen b go, which may
	// be after b's Close returns, and it is handed to a and c one after
	// the other: c speaks only once both have it, or its line could
	// overtake the notice on the way to a.
	expect(ctx, t, c, "* guest 2 left")
	expect(ctx, t, a, "* guest 2 left")
	say(ctx, t, c, "bye, b")
	expect(ctx, t, a, "guest 3: bye, b")
	expect(ctx, t, c, "guest 3: bye, b")
}

// A binary message is refused with 1003 and the others hear that its
// sender left.
func TestChatRefusesBinary(t *testing.T) {
	addr, _ := start(t, config{})
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

// Another path than /chat is not found, and /stats shows the counters.
func TestChatPaths(t *testing.T) {
	addr, _ := start(t, config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, _, err := fastws.Dial(ctx, "ws://"+addr+"/elsewhere", nil)
	var he *fastws.HandshakeError
	if !errors.As(err, &he) || he.StatusCode != http.StatusNotFound {
		t.Fatalf("dialing /elsewhere: %v, want a 404", err)
	}

	a := join(ctx, t, addr, "guest 1")
	say(ctx, t, a, "hello")
	expect(ctx, t, a, "guest 1: hello")
	st := getStats(ctx, t, addr)
	if st.Hub.Subscribers != 1 || st.Hub.Published != 2 || st.Server.Open != 1 || st.NATS != nil {
		t.Errorf("stats: %+v", st)
	}
}

func getStats(ctx context.Context, t *testing.T, addr string) stats {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/stats", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatalf("GET /stats: %s: %v", resp.Status, err)
	}
	return st
}

// dropNotice is what the others hear of guest 3, the slow client.
const dropNotice = "* guest 3 was dropped (too slow)"

// startSlow starts a chat with queues of 8 messages under policy, and
// joins two readers and a client that never reads.
func startSlow(ctx context.Context, t *testing.T, policy fastws.QueuePolicy) (c *chat, a, b, slow *fastws.Conn) {
	t.Helper()
	// A short close timeout: the slow client never takes the close
	// frame, so it is cut when the timeout passes.
	addr, c := start(t, config{queue: 8, policy: policy, closeTimeout: time.Second})
	a = join(ctx, t, addr, "guest 1")
	b = join(ctx, t, addr, "guest 2")
	slow = join(ctx, t, addr, "guest 3")
	expect(ctx, t, a, "* guest 2 joined", "* guest 3 joined")
	expect(ctx, t, b, "* guest 3 joined")
	return c, a, b, slow
}

// padding makes the messages of the slow tests large, so that the slow
// client's socket buffers, a few MiB on loopback, fill in a few hundred
// of them.
var padding = strings.Repeat("x", 32<<10)

// roundLine is what everyone gets of a's round i.
func roundLine(i int) string { return "guest 1: " + strconv.Itoa(i) + " " + padding }

// rounds has a say large things, one at a time, until done holds or 2000
// rounds have passed: each round waits until a and b have the message,
// so neither ever has more than one queued. Whether a and b got the drop
// notice meanwhile is recorded in noticed: the notice may come at any
// point of their streams (the handler publishes it from another
// goroutine than a's), but only once. It returns the number of rounds.
func rounds(ctx context.Context, t *testing.T, a, b *fastws.Conn, noticed *[2]bool, done func() bool) int {
	t.Helper()
	const maxRounds = 2000
	for i := 0; i < maxRounds; i++ {
		if done() {
			return i
		}
		say(ctx, t, a, strconv.Itoa(i)+" "+padding)
		want := roundLine(i)
		for j, p := range []*fastws.Conn{a, b} {
			got := read(ctx, t, p)
			if got == dropNotice && !noticed[j] {
				noticed[j] = true
				got = read(ctx, t, p)
			}
			if got != want {
				t.Fatalf("round %d: got %.40q, want %.40q", i, got, want)
			}
		}
	}
	t.Fatalf("still going after %d rounds", maxRounds)
	return maxRounds
}

// A client that never reads is dropped once its queue is full, and the
// others go on getting every message meanwhile, then hear of the drop.
func TestChatDropsSlowClient(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, a, b, slow := startSlow(ctx, t, fastws.QueueClose)

	var noticed [2]bool
	n := rounds(ctx, t, a, b, &noticed, func() bool { return c.room.Stats().SlowCloses > 0 })
	t.Logf("dropped after %d rounds of %d KiB", n, len(padding)>>10)
	if got := c.room.Subscribers(room); got != 2 {
		t.Errorf("%d in the room after the drop, want 2", got)
	}
	// The notice comes once the server has closed the slow client: at
	// once if it took the close frame, after the close timeout if not.
	for j, p := range []*fastws.Conn{a, b} {
		if !noticed[j] {
			expect(ctx, t, p, dropNotice)
		}
	}

	say(ctx, t, b, "still here")
	expect(ctx, t, a, "guest 2: still here")
	expect(ctx, t, b, "guest 2: still here")

	// What reached slow is what was said, in order, and then its
	// connection ends: with 1008 if the close frame got through, cut
	// (1006) if not.
	for i := 0; ; i++ {
		if i > n {
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
		if want := roundLine(i); string(msg) != want {
			t.Fatalf("the slow client's message %d is %.40q, want %.40q", i, msg, want)
		}
	}
	if st := c.room.Stats(); st.SlowCloses != 1 {
		t.Errorf("hub stats: %+v, want 1 slow close", st)
	}
}

// Under QueueDropOldest a client that never reads stays in the room and
// loses its oldest messages: what it reads is in order, with a gap, and
// ends with the latest.
func TestChatDropOldest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, a, b, slow := startSlow(ctx, t, fastws.QueueDropOldest)

	var noticed [2]bool
	n := rounds(ctx, t, a, b, &noticed, func() bool { return c.room.Stats().Dropped > 0 })
	if noticed[0] || noticed[1] {
		t.Fatal("the slow client was dropped")
	}
	t.Logf("dropping after %d rounds of %d KiB", n, len(padding)>>10)
	if got := c.room.Subscribers(room); got != 3 {
		t.Errorf("%d in the room, want 3", got)
	}
	say(ctx, t, b, "still here")
	last := "guest 2: still here"
	expect(ctx, t, a, last)
	expect(ctx, t, b, last)

	next, skipped := 0, 0
	for {
		msg := read(ctx, t, slow)
		if msg == last {
			break
		}
		i, ok := roundOf(msg)
		if !ok || i < next || i >= n {
			t.Fatalf("the slow client read %.40q after round %d", msg, next-1)
		}
		skipped += i - next
		next = i + 1
	}
	if skipped == 0 {
		t.Error("the slow client lost no message")
	}
	t.Logf("the slow client lost %d messages of %d", skipped, n)
	if st := c.room.Stats(); st.SlowCloses != 0 || st.Subscribers != 3 {
		t.Errorf("hub stats: %+v", st)
	}
}

// roundOf returns i for roundLine(i).
func roundOf(msg string) (int, bool) {
	rest, ok := strings.CutPrefix(msg, "guest 1: ")
	if !ok {
		return 0, false
	}
	num, _, _ := strings.Cut(rest, " ")
	i, err := strconv.Atoi(num)
	if err != nil || msg != roundLine(i) {
		return 0, false
	}
	return i, true
}

// startNATS runs a nats-server in the test process on a free loopback
// port until the test ends, and returns its URL.
func startNATS(t *testing.T) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns.ClientURL()
}

// Two nodes joined through NATS share the room: a client of one and a
// client of the other chat, and hear each other come and go.
func TestChatTwoNodes(t *testing.T) {
	url := startNATS(t) // stopped after the nodes, which start after it
	addrA, nodeA := start(t, config{nats: url, node: "a"})
	addrB, nodeB := start(t, config{nats: url, node: "b"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	x := join(ctx, t, addrA, "guest 1@a")
	// The notice of x's arrival crosses NATS on its own time: y joins
	// once node b has it, so that it is not in flight as y subscribes.
	waitFor(t, "node b has heard of guest 1@a", func() bool { return nodeB.bridge.Stats().Received == 1 })
	y := join(ctx, t, addrB, "guest 1@b")
	expect(ctx, t, x, "* guest 1@b joined")
	z := join(ctx, t, addrA, "guest 2@a")
	expect(ctx, t, x, "* guest 2@a joined")
	expect(ctx, t, y, "* guest 2@a joined")

	say(ctx, t, x, "hello from a")
	for _, p := range []*fastws.Conn{x, y, z} {
		expect(ctx, t, p, "guest 1@a: hello from a")
	}
	say(ctx, t, y, "hello from b")
	for _, p := range []*fastws.Conn{x, y, z} {
		expect(ctx, t, p, "guest 1@b: hello from b")
	}

	if err := y.Close(fastws.CloseNormal, ""); err != nil {
		t.Fatal(err)
	}
	expect(ctx, t, x, "* guest 1@b left")
	expect(ctx, t, z, "* guest 1@b left")

	if got := nodeB.room.Subscribers(room); got != 0 {
		t.Errorf("node b has %d in the room, want 0", got)
	}
	waitFor(t, "node a's bridge has delivered everything", func() bool {
		st := nodeA.bridge.Stats()
		return st.Received == 3 && st.Delivered == 1+2+2
	})
	if st := nodeA.bridge.Stats(); st.Lost != 0 || st.SendErrors != 0 || st.Sent != 3 {
		t.Errorf("node a's bridge: %+v", st)
	}
	if st := getStats(ctx, t, addrA); st.NATS == nil || st.NATS.Received != 3 {
		t.Errorf("node a's /stats: %+v", st)
	}
}

// Shutting down closes every client with 1001 (going away), and run
// returns once they are closed.
func TestChatShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- run(runCtx, ln, config{queue: 16, policy: fastws.QueueClose}) }()

	a := join(ctx, t, ln.Addr().String(), "guest 1")
	b := join(ctx, t, ln.Addr().String(), "guest 2")
	expect(ctx, t, a, "* guest 2 joined")
	stop()
	for _, p := range []*fastws.Conn{a, b} {
		// A notice of the other leaving may come first.
		for {
			_, msg, err := p.ReadMessage(ctx)
			if err == nil {
				if !strings.HasSuffix(string(msg), " left") {
					t.Fatalf("got %q while shutting down", msg)
				}
				continue
			}
			if code := fastws.CloseStatus(err); code != fastws.CloseGoingAway {
				t.Fatalf("got %v, want 1001", err)
			}
			break
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("run did not return")
	}
}
