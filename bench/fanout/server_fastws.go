package fanout

import (
	"net"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/bench/servers"
	"github.com/fastws/fastws/hub"
)

// fastwsServer is a fastws.Server whose Handler subscribes every
// connection but the publisher's to the topic, and publishes what the
// publisher sends with hub.Publish: one PreparedMessage per message,
// whose frame every subscriber's queue shares.
type fastwsServer struct {
	h   *hub.Hub
	srv *fastws.Server
}

// publisherRole marks the publisher's Session (Session.Data).
type publisherRole struct{}

// newFastwsServer returns the server on the event loops (loops) or the
// goroutine driver; comp, when set, turns on permessage-deflate with
// those options.
func newFastwsServer(loops bool, comp *fastws.CompressionOptions) *fastwsServer {
	s := &fastwsServer{h: hub.New()}
	driver, n := fastws.DriverGoroutines, 0
	if loops {
		// DriverLoops, not DriverAuto: a listener the loops cannot
		// take fails the run instead of measuring the other driver
		// under this name. As many loops as the echo benchmark gives
		// every event-loop server (servers.EventLoops: nbio's default
		// poller count, 1 here): the subscribers and the publisher
		// share the machine with the server, and fewer loops cost less
		// per delivery (at 5 msgs/s to 10,000 subscribers, 1 KiB:
		// 0.68x gws's CPU per delivery with one loop, 0.88x with two).
		driver, n = fastws.DriverLoops, servers.EventLoops()
	}
	s.srv = fastws.NewServer(s, &fastws.ServerOptions{
		AcceptOptions: fastws.AcceptOptions{
			ConnOptions: fastws.ConnOptions{MaxMessageSize: maxMessage},
			CheckOrigin: func(string, string) bool { return true },
			Compression: comp,
		},
		Driver: driver,
		Loops:  n,
		// A broadcast subscriber wants the latest messages: one that
		// stops reading has its oldest queued messages dropped, and
		// costs the publisher nothing more (the hub's documented
		// choice for subscribers). The queue limits are the defaults.
		QueuePolicy: fastws.QueueDropOldest,
	})
	return s
}

func (s *fastwsServer) OnOpen(ss *fastws.Session, req *fastws.OpenRequest) {
	if isPublisher(req.Target()) {
		ss.Data = publisherRole{}
		return
	}
	s.h.Subscribe(ss, topic)
}

func (s *fastwsServer) OnMessage(ss *fastws.Session, typ fastws.MessageType, msg []byte) {
	if _, ok := ss.Data.(publisherRole); ok {
		// Publish copies msg once, which the Server lends only for
		// this call.
		_ = s.h.Publish(topic, typ, msg)
	}
}

func (s *fastwsServer) OnClose(ss *fastws.Session, _ fastws.CloseEvent) { s.h.UnsubscribeAll(ss) }

func (s *fastwsServer) serve(ln net.Listener) error { return s.srv.Serve(ln) }

func (s *fastwsServer) stats(st *serverStats) {
	hs := s.h.Stats()
	st.Subscribers = int64(hs.Subscribers)
	st.Published = hs.Published
	st.Delivered = hs.Delivered
	st.Dropped, st.DroppedUnit = hs.Dropped, "messages"
	st.Queued = hs.QueuedBytes
}
