package conformance

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
)

// echoHandler is the Server's echo: every message back, queued.
type echoHandler struct{}

func (echoHandler) OnOpen(*fastws.Session, *fastws.OpenRequest) {}
func (echoHandler) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	_ = s.WriteMessage(typ, msg)
}
func (echoHandler) OnClose(*fastws.Session, fastws.CloseEvent) {}

// serveHandler serves the echo Handler on 127.0.0.1 with driver d.
func serveHandler(t *testing.T, d fastws.Driver) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := fastws.NewServer(echoHandler{}, &fastws.ServerOptions{
		Driver: d,
		AcceptOptions: fastws.AcceptOptions{
			CheckOrigin: func(string, string) bool { return true },
			Compression: &fastws.CompressionOptions{},
		},
	})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-served; !errors.Is(err, fastws.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return "ws://" + ln.Addr().String()
}

// The Server, with its Handler, on each driver: every server case,
// compression included. On the goroutine driver the volume categories
// (9, 12, 13) are represented by a slice (volumeSlice): there the
// Handler runs on a Conn, whose every case TestFastwsServer runs, and
// the slice still sends each group's messages through the Session's
// queue; the event loops (DriverAuto, on Linux) run every case.
func TestFastwsHandlerServer(t *testing.T) {
	for _, d := range []struct {
		name   string
		driver fastws.Driver
	}{{"goroutines", fastws.DriverGoroutines}, {"auto", fastws.DriverAuto}} {
		t.Run(d.name, func(t *testing.T) {
			leakcheck.Check(t)
			cases := casesUnderTest(ServerMode)
			if d.driver == fastws.DriverGoroutines && os.Getenv("FASTWS_CONFORMANCE_CASES") == "" {
				cases = volumeSlice(cases)
			}
			rep, err := RunServer(context.Background(), runConfig(serveHandler(t, d.driver)+"/", "fastws-"+d.name, cases))
			if err != nil {
				t.Fatal(err)
			}
			checkClean(t, rep)
		})
	}
}
