package servers

import (
	"net"

	"github.com/fastws/fastws"
)

// FastwsLoop is fastws's Server on its event-loop driver: a Handler whose
// OnMessage echoes, run on EventLoops epoll loops rather than a goroutine
// per connection. Its class is nbio's and epoll-floor's. FastwsLoopAll is
// the same server with fastws's default loop count, one per GOMAXPROCS.
const (
	FastwsLoop    = "fastws-loop"
	FastwsLoopAll = "fastws-loop-all"
)

// IsFastwsLoop reports whether name is fastws on its event-loop driver.
func IsFastwsLoop(name string) bool { return name == FastwsLoop || name == FastwsLoopAll }

// loopEcho echoes every message. WriteMessage copies the message, which
// the Server lends only for the call, and never blocks the loop.
type loopEcho struct{}

func (loopEcho) OnOpen(*fastws.Session, *fastws.OpenRequest) {}

func (loopEcho) OnMessage(s *fastws.Session, typ fastws.MessageType, msg []byte) {
	_ = s.WriteMessage(typ, msg)
}

func (loopEcho) OnClose(*fastws.Session, fastws.CloseEvent) {}

// serveFastwsLoop runs loopEcho on a fastws.Server with the same accept
// options as the other fastws servers. DriverLoops, not DriverAuto, so
// that a listener the loops cannot take fails the run instead of
// measuring the goroutine driver under this name.
func serveFastwsLoop(ln net.Listener, o Options, loops int) error {
	srv := fastws.NewServer(loopEcho{}, &fastws.ServerOptions{
		AcceptOptions: fastwsAcceptOptions(o),
		Driver:        fastws.DriverLoops,
		Loops:         loops,
	})
	return srv.Serve(ln)
}
