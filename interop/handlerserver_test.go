package interop

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// The echo protocol on fastws's Server, through its Handler, on each
// driver: the peers' clients against the event loops as against the
// goroutines. The Session sends whole messages only, so "fragment-me:" is
// answered in one frame here; the Conn-based server covers fragmented
// sending.

// serverDrivers are the Server's drivers the peers are run against.
var serverDrivers = []struct {
	name   string
	driver fastws.Driver
}{{"goroutines", fastws.DriverGoroutines}, {"auto", fastws.DriverAuto}}

// handlerEcho is the echo protocol as a Handler, recording what each
// connection saw in an echoServer's records.
type handlerEcho struct{ e *echoServer }

// handlerConn is a connection's state, in Session.Data.
type handlerConn struct {
	rec      *connRecord
	end      func()
	mu       sync.Mutex
	pinging  map[string]bool // pings sent, waiting for their pong
	ourClose fastws.CloseCode
}

// newHandlerEchoServer serves the echo protocol with a fastws Server on
// driver d, accepting permessage-deflate with copts (nil: not at all).
func newHandlerEchoServer(t *testing.T, d fastws.Driver, copts *fastws.CompressionOptions) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e := &echoServer{url: "ws://" + ln.Addr().String(), changed: make(chan struct{})}
	srv := fastws.NewServer(handlerEcho{e}, &fastws.ServerOptions{
		Driver: d,
		AcceptOptions: fastws.AcceptOptions{
			CheckOrigin: acceptAnyOrigin,
			Compression: copts,
		},
	})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		if err := <-served; !errors.Is(err, fastws.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return e
}

func (h handlerEcho) OnOpen(s *fastws.Session, req *fastws.OpenRequest) {
	rec, end := h.e.beginPath(req.Path())
	rec.mu.Lock()
	rec.extensions = s.Extensions()
	rec.mu.Unlock()
	s.Data = &handlerConn{rec: rec, end: end, pinging: map[string]bool{}}
}

func (h handlerEcho) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	hc := s.Data.(*handlerConn)
	var err error
	switch str := string(msg); {
	case typ == fastws.Text && strings.HasPrefix(str, "close:"):
		code, reason, perr := parseCloseCommand(str)
		if perr != nil {
			hc.rec.fail(perr)
			s.CloseNow()
			return
		}
		hc.ourClose = code
		hc.rec.mu.Lock()
		hc.rec.ourClose = fmt.Sprintf("%d %s", code, reason)
		hc.rec.mu.Unlock()
		err = s.Close(code, reason)
	case typ == fastws.Text && strings.HasPrefix(str, "ping-me:"):
		payload := strings.TrimPrefix(str, "ping-me:")
		hc.mu.Lock()
		hc.pinging[payload] = true
		hc.mu.Unlock()
		err = s.Ping([]byte(payload))
	case typ == fastws.Text && strings.HasPrefix(str, "uncompressed:"):
		err = s.WriteMessage(typ|fastws.Uncompressed, msg)
	default:
		err = s.WriteMessage(typ, msg)
	}
	if err != nil {
		hc.rec.fail(fmt.Errorf("answering a %v message of %d bytes: %w", typ, len(msg), err))
	}
}

func (h handlerEcho) OnPing(s *fastws.Session, payload []byte) {
	s.Data.(*handlerConn).rec.onPing(payload)
}

func (h handlerEcho) OnPong(s *fastws.Session, payload []byte) {
	hc := s.Data.(*handlerConn)
	p := string(payload)
	hc.mu.Lock()
	waiting := hc.pinging[p]
	delete(hc.pinging, p)
	hc.mu.Unlock()
	if !waiting {
		return
	}
	hc.rec.mu.Lock()
	hc.rec.pinged[p] = nil
	hc.rec.mu.Unlock()
	if err := s.WriteMessage(fastws.Text, []byte("pong-received:"+p)); err != nil {
		hc.rec.fail(fmt.Errorf("ping-me %q: %w", p, err))
	}
}

func (h handlerEcho) OnClose(s *fastws.Session, ev fastws.CloseEvent) {
	hc := s.Data.(*handlerConn)
	r := hc.rec
	r.mu.Lock()
	switch {
	case ev.Cause == fastws.ClosedByPeer:
		r.peerClose = &fastws.CloseError{Code: ev.Code, Reason: ev.Reason}
	case ev.Cause == fastws.ClosedByServer && ev.Code == hc.ourClose:
		r.closeErr = nil
	case hc.ourClose != 0:
		r.closeErr = fmt.Errorf("our close ended as %v (%d %q): %v", ev.Cause, ev.Code, ev.Reason, ev.Err)
	default:
		r.readErr = fmt.Errorf("ended as %v (%d %q): %v", ev.Cause, ev.Code, ev.Reason, ev.Err)
	}
	hc.mu.Lock()
	for p := range hc.pinging {
		r.pinged[p] = errors.New("no pong before the connection ended")
	}
	hc.mu.Unlock()
	r.mu.Unlock()
	hc.end()
}

// TestNodeClientToFastwsHandlerServer runs Node ws's client against the
// Server on each driver, with and without permessage-deflate.
func TestNodeClientToFastwsHandlerServer(t *testing.T) {
	requirePeers(t, missingNode("ws")...)
	runPeerClientOnDrivers(t, os.Environ(), "node", filepath.Join(nodeDir, "client.js"))
}

// TestPythonClientToFastwsHandlerServer runs Python websockets's client
// against the Server on each driver, with and without permessage-deflate.
func TestPythonClientToFastwsHandlerServer(t *testing.T) {
	requirePeers(t, missingPython()...)
	runPeerClientOnDrivers(t, pythonEnv(), pythonPath, filepath.Join("python", "client.py"))
}

// driverVariant is a Server driver, with or without permessage-deflate.
type driverVariant struct {
	name   string
	driver fastws.Driver
	copts  *fastws.CompressionOptions
}

// driverVariants is each driver, plain and with fastws's default
// permessage-deflate.
func driverVariants() []driverVariant {
	var vs []driverVariant
	for _, d := range serverDrivers {
		vs = append(vs, driverVariant{d.name, d.driver, nil}, driverVariant{d.name + "/deflate", d.driver, &fastws.CompressionOptions{}})
	}
	return vs
}

// checkDeflate requires the connection on /main to have negotiated
// permessage-deflate when the variant offers it.
func checkDeflate(t *testing.T, e *echoServer, v driverVariant) {
	if v.copts == nil {
		return
	}
	recs := e.waitRecords(t, "/main")
	if ext := recs["/main"][0].extensions; !strings.Contains(ext, "permessage-deflate") {
		t.Errorf("negotiated %q, want permessage-deflate", ext)
	}
}

func runPeerClientOnDrivers(t *testing.T, env []string, argv ...string) {
	for _, v := range driverVariants() {
		t.Run(v.name, func(t *testing.T) {
			leakcheck.Check(t)
			e := newHandlerEchoServer(t, v.driver, v.copts)
			rep, exitErr := runPeerClient(t, testtime.Limit(2*time.Minute), env, append(argv, e.url)...)
			checkClientReport(t, rep, exitErr, echoListNames())
			checkEchoServerRecords(t, e, []string{"ping-from-client"})
			checkDeflate(t, e, v)
		})
	}
}

// TestChromiumToFastwsHandlerServer has headless Chromium load the
// browser's echo list from a net/http server whose WebSocket paths go to
// a fastws Server (ServeHTTP: on Linux the loops take the connections
// over once net/http has upgraded them), under the default same-origin
// policy, on each driver.
func TestChromiumToFastwsHandlerServer(t *testing.T) {
	requirePeers(t, missingChromium()...)
	for _, v := range driverVariants() {
		d, copts := v.driver, v.copts
		t.Run(v.name, func(t *testing.T) {
			leakcheck.Check(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			e := &echoServer{url: "ws://" + ln.Addr().String(), httpURL: "http://" + ln.Addr().String(), changed: make(chan struct{})}
			srv := fastws.NewServer(handlerEcho{e}, &fastws.ServerOptions{Driver: d, AcceptOptions: fastws.AcceptOptions{Compression: copts}})
			mux := http.NewServeMux()
			mux.Handle("GET /main", srv)
			mux.Handle("GET /server-close", srv)
			mux.Handle("GET /", http.FileServer(http.Dir("browser")))
			hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			go hs.Serve(ln)
			t.Cleanup(func() {
				_ = hs.Close()
				_ = srv.Close()
			})
			profile := t.TempDir()
			t.Cleanup(func() { killBrowserLeftovers(t, profile) })
			rep, exitErr := runPeerClient(t, testtime.Limit(2*time.Minute), os.Environ(),
				"node", filepath.Join(nodeDir, "chromium-driver.js"), e.httpURL+"/", profile, "100000")
			checkClientReport(t, rep, exitErr, browserListNames())
			checkEchoServerRecords(t, e, nil)
			checkDeflate(t, e, v)
		})
	}
}
