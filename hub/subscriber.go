package hub

import "github.com/fastws/fastws"

// A Subscriber is a connection the hub delivers to. WritePrepared must
// not block: it queues the message, or refuses it with an error.
// *fastws.Session implements it; NewConnSubscriber makes one of a
// *fastws.Conn.
//
// The hub compares Subscribers with ==, so a Subscriber must be a
// comparable value, a pointer in practice.
type Subscriber interface {
	WritePrepared(pm *fastws.PreparedMessage) error
}

// queueReporter is what a Subscriber may also tell the hub's Stats: the
// bytes it has queued and the messages it dropped. *fastws.Session and
// *ConnSubscriber do.
type queueReporter interface {
	Queued() int
	Dropped() int64
}
