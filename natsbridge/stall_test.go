package natsbridge

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/nats-io/nats.go"
)

// stallProxy relays TCP between NATS clients and a NATS server, and can
// stop reading what the clients send, as a server (or a network) that
// has fallen behind does. Reading resumes on resume.
type stallProxy struct {
	ln      net.Listener
	target  string
	stalled chan struct{} // closed to resume
	mu      sync.Mutex
	conns   []net.Conn
	wg      sync.WaitGroup
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

func (p *stallProxy) url() string { return "nats://" + p.ln.Addr().String() }

// stall makes the proxy stop reading from its clients until resume.
func (p *stallProxy) stall() {
	p.mu.Lock()
	p.stalled = make(chan struct{})
	p.mu.Unlock()
}

func (p *stallProxy) resume() {
	p.mu.Lock()
	if p.stalled != nil {
		close(p.stalled)
		p.stalled = nil
	}
	p.mu.Unlock()
}

func (p *stallProxy) gate() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stalled
}

func (p *stallProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		p.wg.Go(func() { _, _ = io.Copy(c, s); c.Close() })
		p.wg.Go(func() {
			buf := make([]byte, 4<<10)
			for {
				if g := p.gate(); g != nil {
					<-g
				}
				n, err := c.Read(buf)
				if n > 0 {
					if _, err := s.Write(buf[:n]); err != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			s.Close()
		})
	}
}

func (p *stallProxy) close() {
	p.resume()
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// A NATS server that stops reading must not hold the hub's publisher:
// Relay returns at once, the send buffer stays within its limit and
// drops what does not fit (counted, and lost on the other nodes, which
// count it), local delivery goes on, and once the server reads again
// what was buffered arrives in order.
func TestSlowServerDoesNotBlockPublish(t *testing.T) {
	leakcheck.Check(t)
	ns := startNATS(t, -1)
	proxy := newStallProxy(t, ns.Addr().String())
	const sendBuffer = 256 << 10
	// A long FlusherTimeout: were Publish to wait for the socket, the
	// publishes below would outlast the test's limit rather than end in a
	// reconnect.
	a := newNode(t, proxy.url(), "a", &Options{SendBuffer: sendBuffer, NATSOptions: []nats.Option{nats.FlusherTimeout(time.Minute)}})
	b := newNode(t, ns.ClientURL(), "b", nil)
	ra, rb := newRecorder(), newRecorder()
	a.h.Subscribe(ra, "room")
	b.h.Subscribe(rb, "room")
	publishAll(t, []*node{a}, "room", 1, 1)
	waitUntil(t, "b heard a", func() bool { return rb.count() == 1 })

	proxy.stall()
	// 64 MiB: more than the kernel's socket buffers (here, up to 4 MiB
	// to send and 32 MiB to receive) and nats.go's own can take, so that
	// nats.go's Publish blocks on the socket.
	const n, size = 4096, 16 << 10
	pad := strings.Repeat("x", size)
	maxQueued := 0
	done := make(chan error, 1)
	go func() {
		for i := 2; i <= n+1; i++ {
			err := a.h.Publish("room", fastws.Binary, []byte(msg("a", i)+" "+pad))
			if q := a.b.Stats().SendQueued; q > maxQueued {
				maxQueued = q
			}
			if err != nil && !errors.Is(err, ErrSendBufferFull) {
				done <- fmt.Errorf("Publish %d: %w", i, err)
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testtime.Limit(30 * time.Second)):
		t.Fatal("Publish blocked while the NATS server was not reading")
	}
	st := a.b.Stats()
	if st.SendDropped == 0 || st.SendErrors != st.SendDropped || a.h.Stats().RelayErrors != st.SendDropped {
		t.Errorf("nothing dropped, or errors other than drops, with 64 MiB sent to a stalled server: %+v, hub %+v", st, a.h.Stats())
	}
	if limit := sendBuffer + headerLen + size + 16; maxQueued > limit {
		t.Errorf("send buffer held %d bytes, over its limit of %d plus one message", maxQueued, sendBuffer)
	}
	if got := ra.count(); got != n+1 {
		t.Errorf("a's own subscriber got %d messages while NATS stalled, want %d", got, n+1)
	}

	proxy.resume()
	waitUntil(t, "a handed its buffer to NATS", func() bool { return a.b.Stats().SendQueued == 0 })
	// The last message may be among those dropped: a marker after it
	// shows when b has seen everything that was sent.
	if err := a.h.Publish("room", fastws.Text, []byte(msg("a", n+2))); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "b got the marker", func() bool {
		got := rb.messages()
		return strings.HasPrefix(got[len(got)-1], msg("a", n+2))
	})
	sa, sb := a.b.Stats(), b.b.Stats()
	if sb.Received+sb.Lost != sa.Sent+sa.SendErrors || sb.Lost != sa.SendDropped {
		t.Errorf("a sent %d and dropped %d; b received %d and counted %d lost", sa.Sent, sa.SendDropped, sb.Received, sb.Lost)
	}
	last := 0
	for _, m := range rb.messages() {
		id, _, _ := strings.Cut(m, " ")
		i, err := strconv.Atoi(strings.TrimPrefix(id, "a/"))
		if err != nil || i <= last {
			t.Fatalf("b got %q after message %d: out of order", id, last)
		}
		last = i
	}
	t.Logf("a: %d sent, %d dropped (send buffer at most %d bytes); b: %d received, %d lost", sa.Sent, sa.SendDropped, maxQueued, sb.Received, sb.Lost)
}
