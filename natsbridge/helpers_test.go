package natsbridge

import (
	"bytes"
	"fmt"
	"log"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/hub"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/nats-io/nats-server/v2/server"
)

// startNATS runs a real nats-server in the test process on 127.0.0.1, on
// port, or a free one for -1, and shuts it down at the end of the test.
func startNATS(t testing.TB, port int) *server.Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(testtime.Limit(10 * time.Second)) {
		s.Shutdown()
		t.Fatalf("nats-server on port %d not ready", port)
	}
	t.Cleanup(func() { stopNATS(s) })
	return s
}

func stopNATS(s *server.Server) {
	s.Shutdown()
	s.WaitForShutdown()
}

func natsPort(t testing.TB, s *server.Server) int {
	t.Helper()
	addr, ok := s.Addr().(*net.TCPAddr)
	if !ok {
		t.Fatalf("nats-server address %v is not TCP", s.Addr())
	}
	return addr.Port
}

// testLog is a bridge's ErrorLog that the test prints only if it fails.
func testLog(t testing.TB, name string) *log.Logger {
	var buf syncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, buf.String())
		}
	})
	return log.New(&buf, "", log.Lmicroseconds)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// node is a hub and its bridge, as one process of a cluster would have.
type node struct {
	name string
	h    *hub.Hub
	b    *Bridge
}

// newNode connects a new hub to the NATS server at url; the bridge is
// closed at the end of the test.
func newNode(t testing.TB, url, name string, opts *Options) *node {
	t.Helper()
	o := Options{}
	if opts != nil {
		o = *opts
	}
	o.Name = name
	if o.ErrorLog == nil {
		o.ErrorLog = testLog(t, name)
	}
	h := hub.New()
	b, err := Connect(url, h, &o)
	if err != nil {
		t.Fatalf("Connect %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close %s: %v", name, err)
		}
	})
	return &node{name: name, h: h, b: b}
}

// recorder is a hub Subscriber that keeps the payloads it is given.
type recorder struct {
	mu  sync.Mutex
	got []string
	pms map[*fastws.PreparedMessage]int // to see that one message is one PreparedMessage
}

func newRecorder() *recorder { return &recorder{pms: map[*fastws.PreparedMessage]int{}} }

func (r *recorder) WritePrepared(pm *fastws.PreparedMessage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, string(pm.Payload()))
	r.pms[pm]++
	return nil
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

// waitUntil polls cond until it holds, failing the test after a bounded
// time.
func waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testtime.Limit(10 * time.Second))
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// settle gives a message that should not come the time to come anyway,
// before a test checks that it did not.
func settle() { time.Sleep(testtime.Limit(50 * time.Millisecond)) }

// msg is the payload of publisher p's i-th message.
func msg(p string, i int) string { return p + "/" + strconv.Itoa(i) }

// checkStream checks that got holds, for each publisher p in want,
// exactly p's messages 1 to want[p], in order, and nothing else.
func checkStream(t testing.TB, who string, got []string, want map[string]int) {
	t.Helper()
	next := map[string]int{}
	for _, m := range got {
		i := strings.LastIndexByte(m, '/')
		if i < 0 {
			t.Errorf("%s got %q, not a test message", who, m)
			continue
		}
		p, n := m[:i], m[i+1:]
		if _, ok := want[p]; !ok {
			t.Errorf("%s got %q from unexpected publisher %q", who, m, p)
			continue
		}
		next[p]++
		if n != strconv.Itoa(next[p]) {
			t.Errorf("%s got %q, want %q: lost, duplicated or reordered", who, m, msg(p, next[p]))
			return
		}
	}
	for p, n := range want {
		if next[p] != n {
			t.Errorf("%s got %d messages from %s, want %d", who, next[p], p, n)
		}
	}
}

// publishAll has every node publish n messages to topic, each from its
// own goroutine, all at once.
func publishAll(t testing.TB, nodes []*node, topic string, from, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, len(nodes))
	for _, nd := range nodes {
		wg.Go(func() {
			for i := from; i < from+n; i++ {
				if err := nd.h.Publish(topic, fastws.Text, []byte(msg(nd.name, i))); err != nil {
					errs <- fmt.Errorf("%s: Publish: %w", nd.name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
