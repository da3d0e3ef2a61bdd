package main

import (
	"io"

	"github.com/fastws/fastws/hub"
	"github.com/fastws/fastws/natsbridge"
)

// connectNATS joins h to the hubs of the other `fastws serve` processes
// on the NATS server at url (-nats): every topic, rooms and presence
// alike, then reaches every node. The bridge's defaults suit the chat:
// reconnecting forever, with what is published meanwhile buffered.
func connectNATS(url string, h *hub.Hub, node string) (io.Closer, error) {
	return natsbridge.Connect(url, h, &natsbridge.Options{Name: "fastws serve " + node})
}
