// Package natsbridge joins the hubs of several processes through a NATS
// server: a message published to a topic on any node reaches the
// subscribers of that topic on every node.
//
// A Bridge is a hub.Relay. The hub delivers a publish to its own
// subscribers and then hands it to the Bridge, which publishes it to
// NATS; every other node's Bridge receives it, builds one
// fastws.PreparedMessage and delivers it to its hub's local subscribers
// with hub.Hub.Deliver, so a message is encoded once per node, not once
// per subscriber.
//
// This package is part of the fastws module but only a program that
// imports it compiles the NATS client: fastws and fastws/hub do not
// depend on it.
//
// # Subjects
//
// A topic is published on the subject Prefix + "." + escape(topic), and
// every Bridge subscribes to Prefix + ".*". escape keeps the bytes
// A-Z, a-z, 0-9, '_' and '-' and writes every other byte as '%' and two
// uppercase hex digits, so that a topic is always exactly one subject
// token: '.', '*', '>', whitespace and '%' in a topic can neither split
// it into several tokens nor act as a wildcard. The empty topic is the
// token "%", which escaping never produces otherwise (a '%' it writes is
// always followed by two hex digits). A topic "room.1" on the default
// prefix is the subject "fastws.hub.room%2E1". A subject longer than
// 4000 bytes is refused (ErrTopicTooLong), leaving room for the rest of
// the protocol line under NATS' default 4096-byte limit; such a topic is
// still delivered locally.
//
// The body of a NATS message is a version byte (1), a flags byte (text
// or binary, fastws.Uncompressed or not), the origin node's 16-byte ID,
// its 8-byte big-endian sequence number, and the payload; wire.go has the
// details. A node drops a message of a version or with flags it does not
// know and counts it in Stats.BadMessages.
//
// # Delivery
//
// Every subscriber of a topic, on every node, receives a publish exactly
// once, and the messages of one publisher in the order they were
// published: Relay numbers and queues messages in call order and one
// goroutine hands them to a single NATS connection, which keeps that
// order, and the Bridge delivers what arrives from a single
// subscription callback, in arrival order. A node does not receive its
// own publishes back: Connect asks the server for no echo, and a message
// carrying this node's ID is dropped anyway (Stats.OwnEchoesDropped), for
// connections made without nats.NoEcho.
//
// # Reconnects and loss
//
// Core NATS delivers at most once. When the connection to the server
// breaks, nats.go reconnects (Connect retries forever, every
// Options.ReconnectWait) and resubscribes; delivery then resumes. What a
// node publishes while it is disconnected is buffered by nats.go up to
// its reconnect buffer (nats.ReconnectBufSize, 8 MiB by default) and sent
// once it is back; beyond that buffer a message fails and is counted in
// Stats.SendErrors. What other nodes publish while a node is
// disconnected, or while it has not yet resubscribed, does not reach it.
//
// # A publisher never waits for NATS
//
// Relay runs on the hub's publisher, which is often an event loop's
// message handler serving thousands of connections; nats.go's Publish
// writes to the socket itself when its write buffer is full and can wait
// there as long as the server takes to read. So Relay only encodes the
// message into the Bridge's send buffer (Options.SendBuffer, 4 MiB by
// default) and returns; the Bridge's own goroutine hands the buffer to
// nats.go, in order. When NATS takes messages slower than they are
// published, the send buffer fills and Relay drops what does not fit,
// returning ErrSendBufferFull (counted in Stats.SendDropped and in the
// hub's RelayErrors); local delivery goes on.
//
// Every message carries its origin node's ID and a sequence number that
// grows by one per message that node publishes, so a receiver sees a gap
// when messages from an origin went missing and counts them in
// Stats.Lost. A gap is only visible once a later message from the same
// origin arrives; a restarted process is a new node with a new ID, so a
// restart is not mistaken for a gap. An origin not heard from for 30
// minutes is forgotten, and a gap across such a silence is not counted.
package natsbridge
