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
