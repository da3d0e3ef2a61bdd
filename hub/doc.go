// Package hub delivers messages to many WebSocket connections by topic:
// the broadcast half of a chat, a feed or a game server.
//
// A Hub holds topics (rooms). A connection subscribes to any number of
// them; a message published to a topic goes to every connection
// subscribed to it. The message is encoded once (fastws.PreparedMessage):
// the same frame goes to every subscriber, and with permessage-deflate
// it is compressed once per distinct compression setting among
// subscribers that negotiated server_no_context_takeover, and once per
// connection for the others (see fastws.PreparedMessage for what that
// costs, and how a server makes it cheap).
//
// # Slow consumers
//
// Publishing never blocks on a subscriber. Every subscriber has a bounded
// queue, and a policy for when it is full:
//   - a *fastws.Session's queue is its Server's: ServerOptions.QueueLimit
//     bytes (1 MiB by default) and QueueMessages messages (4096), with
//     ServerOptions.QueuePolicy deciding. QueueDropOldest drops the oldest
//     queued messages and counts them; QueueClose closes the subscriber
//     with 1008; a spent MemoryBudget closes it with 1013. Under
//     QueueRefuse and QueueDrop the new message is not delivered to that
//     subscriber, and the hub counts it as dropped.
//   - a *fastws.Conn is wrapped by NewConnSubscriber, whose writer
//     goroutine has a queue with the same limits and policies.
//
// One slow or dead subscriber therefore costs at most its queue, and
// never delays the others.
//
// # Order
//
// Publish hands the message to every subscriber's queue before it
// returns, so messages one goroutine publishes to a topic reach every
// subscriber in the order they were published. Messages published
// concurrently by several goroutines may interleave differently at
// different subscribers.
//
// # Many nodes
//
// A Relay carries a hub's publishes to the hubs of other processes; the
// natsbridge package is one, over a NATS server. A relay delivers what
// arrives from other nodes with Deliver, which reaches local subscribers
// only.
package hub
