//go:build linux

package fastws

import (
	"bytes"
	"log"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/testtime"
)

func init() {
	testDrivers = append(testDrivers, struct {
		name   string
		driver Driver
	}{"loops", DriverLoops}, struct {
		name   string
		driver Driver
	}{"loops-handler-goroutines", driverLoopsWithGoroutines})
}

// A handler that blocks its loop is reported: the loop's other
// connections wait for it, which ServerOptions.HandlerGoroutines is for.
func TestLoopReportsABlockingHandler(t *testing.T) {
	var logged lockedBuffer
	rec := newRecorder(t)
	rec.onMsg = func(s *Session, typ MessageType, msg []byte) {
		time.Sleep(4 * loopStallAfter) // what a handler must not do on a loop
		_ = s.WriteMessage(typ, msg)
	}
	_, url := startServer(t, DriverLoops, rec, &ServerOptions{ErrorLog: log.New(&logged, "", 0)})
	ctx := testCtx(t)
	c, _, err := Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	rec.waitOpen(t)
	_ = c.WriteMessage(ctx, Text, []byte("slow"))
	if _, _, err := c.ReadMessage(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "a handler is blocking it") {
		t.Errorf("the log says %q, want the blocked loop reported", logged.String())
	}
}

// lockedBuffer is a bytes.Buffer that a logger may write from any
// goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// On Linux, a connection net/http upgraded for a Server goes to a loop.
func TestServeHTTPMovesToALoop(t *testing.T) {
	rec := newRecorder(t)
	srv := NewServer(rec, nil)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	ctx := testCtx(t)
	c, _, err := Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, onLoop := rec.waitOpen(t).drv.(*loopConn); !onLoop {
		t.Error("the upgraded connection is not on a loop")
	}
}

// A loop connection keeps its compressor's writer while it is busy (from
// its second compressed message within compressorIdleRelease) and gives
// it back once it has sent no compressed message for that long, as a
// Conn does; a lone message gives it back at once.
func TestLoopReleasesIdleCompressor(t *testing.T) {
	old := compressorIdleRelease
	compressorIdleRelease = 300 * time.Millisecond
	defer func() { compressorIdleRelease = old }()
	rec := newRecorder(t)
	_, url := startServer(t, DriverLoops, rec, &ServerOptions{AcceptOptions: AcceptOptions{Compression: &CompressionOptions{}}})
	ctx := testCtx(t)
	c, _, err := Dial(ctx, url, &DialOptions{Compression: &CompressionOptions{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	lc := rec.waitOpen(t).drv.(*loopConn)
	msg := []byte(strings.Repeat("compress me ", 100))
	// echo sends n messages at once and reads their echoes.
	echo := func(n int) {
		for range n {
			if err := c.WriteMessage(ctx, Text, msg); err != nil {
				t.Fatal(err)
			}
		}
		for range n {
			if _, got, err := c.ReadMessage(ctx); err != nil || string(got) != string(msg) {
				t.Fatalf("echo: %v", err)
			}
		}
	}
	idle := func() bool {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		return lc.comp().Idle()
	}
	echo(1)
	if !idle() {
		t.Fatal("a lone message kept the writer")
	}
	echo(2) // the second echo follows the first by far less than compressorIdleRelease
	if idle() {
		t.Fatal("the writer was given back while the connection was busy")
	}
	deadline := time.Now().Add(testtime.Limit(5 * time.Second))
	for !idle() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !idle() {
		t.Fatal("the writer was kept after the connection went idle")
	}
}

// TestLoopSleepsWhenIdle checks that loops whose connections are open
// and quiet do not wake: their only timers (the handshake deadlines left
// behind) are seconds away, and a loop sleeps until its next one rather
// than ticking every 5 ms (which cost an idle server 400 wake-ups a
// second on two loops).
func TestLoopSleepsWhenIdle(t *testing.T) {
	rec := newRecorder(t)
	srv, url := startServer(t, DriverLoops, rec, nil)
	ctx := testCtx(t)
	for range 20 {
		c, _, err := Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		rec.waitOpen(t)
	}
	turns := func() (n uint64) {
		for _, l := range srv.loops.loops {
			n += l.turns.Load()
		}
		return n
	}
	before := turns()
	time.Sleep(time.Second)
	// Each loop may come up once for a slot of stale handshake entries
	// (a turn of the wheel is 2.56 s), and a busy machine only delays
	// wake-ups; ticking would be 200 a second per loop.
	if woke := turns() - before; woke > uint64(2*len(srv.loops.loops)) {
		t.Errorf("%d loops woke %d times in a second with 20 idle connections", len(srv.loops.loops), woke)
	}
}

// TestLoopQueuesPreparedFramesByReference checks the loop's broadcast
// path: a PreparedMessage sent to a connection with nothing queued is
// queued as the message's own frame, by reference; what comes behind it
// copies it first, and dropping the oldest rewrites only copies. Three
// clients that do not read take the frame hundreds of times, mixed with
// plain messages, until their queues drop: the PreparedMessage's frame
// must be unchanged, and every message that arrives intact.
func TestLoopQueuesPreparedFramesByReference(t *testing.T) {
	rec := newRecorder(t)
	_, url := startServer(t, DriverLoops, rec, &ServerOptions{QueueLimit: 64 << 10, QueuePolicy: QueueDropOldest})
	ctx := testCtx(t)
	clients, sessions := dialSessions(t, ctx, url, rec, 3)
	payload := bytes.Repeat([]byte("fan-out "), 2048)
	pm, err := NewPreparedMessage(Binary, payload)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Clone(pm.frame)
	const rounds, plainEvery = 600, 10
	for i := range rounds {
		for _, s := range sessions {
			if err := s.WritePrepared(pm); err != nil {
				t.Fatal(err)
			}
			if i%plainEvery == 0 {
				if err := s.WriteMessage(Text, []byte("plain")); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	sent := rounds + rounds/plainEvery
	for i, c := range clients {
		dropped := int(sessions[i].Dropped())
		if dropped == 0 {
			t.Errorf("client %d: nothing dropped; the test wants full queues", i)
		}
		for got := 0; got+dropped < sent; got++ {
			typ, msg, err := c.ReadMessage(ctx)
			if err != nil {
				t.Fatalf("client %d, message %d of %d (%d dropped): %v", i, got, sent-dropped, dropped, err)
			}
			if !(typ == Binary && bytes.Equal(msg, payload)) && !(typ == Text && string(msg) == "plain") {
				t.Fatalf("client %d, message %d: %v of %d bytes, not what was sent", i, got, typ, len(msg))
			}
		}
	}
	// Checked last, after the queues drained and gave their buffers
	// back: a frame mistaken for a buffer of the connection's would be
	// written into, or pooled and handed out to the echoes below.
	for _, c := range clients {
		for range 10 {
			if err := c.WriteMessage(ctx, Binary, bytes.Repeat([]byte{'x'}, len(payload))); err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.ReadMessage(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !bytes.Equal(pm.frame, want) {
		t.Fatal("a connection wrote into the PreparedMessage's frame")
	}
}
