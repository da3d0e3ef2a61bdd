package servers

import (
	"net"
	"net/http"

	"github.com/lesismal/nbio/logging"
	"github.com/lesismal/nbio/nbhttp"
	"github.com/lesismal/nbio/nbhttp/websocket"
)

// serveNbio uses nbio's non-blocking engine (epoll pollers, no goroutine
// per connection) with its websocket Upgrader and OnMessage callback.
//
// The callback runs on the poller goroutine (ServerExecutor calls it in
// place) rather than on nbio's default task pool: the echo never blocks,
// and handing each message to another goroutine made nbio 25 to 65 %
// slower here. The benchmark gives each peer its best showing.
//
// A Limit of 0 keeps the MessageLengthLimit NewUpgrader sets (nbio's own
// 0 would mean no limit). Compressed (the memory battery only), nbio's
// defaults: no context takeover either way, level 1.
func serveNbio(ln net.Listener, o Options) error {
	logging.SetLevel(logging.LevelNone) // its info lines would go to stdout

	up := websocket.NewUpgrader()
	up.CheckOrigin = func(*http.Request) bool { return true }
	if o.Limit > 0 {
		up.MessageLengthLimit = int(o.Limit)
	}
	up.EnableCompression(o.Compress)
	up.OnMessage(func(c *websocket.Conn, typ websocket.MessageType, data []byte) {
		_ = c.WriteMessage(typ, data)
	})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = up.Upgrade(w, r, nil) // on error Upgrade has answered
	})

	engine := nbhttp.NewEngine(nbhttp.Config{
		Network: "tcp",
		Addrs:   []string{ln.Addr().String()},
		// The engine listens through this hook, so it serves the
		// listener the harness made (and whose port it printed).
		Listen:         func(string, string) (net.Listener, error) { return parkOnClose{ln}, nil },
		Handler:        handler,
		ServerExecutor: func(f func()) { f() },
		// Payloads go back to nbio's pool after OnMessage returns.
		ReleaseWebsocketPayload: true,
		// nbio splits written messages into frames of at most this
		// size (32 KiB by default); one frame per message, like every
		// other server here.
		MaxWebsocketFramePayloadSize: MaxMessageSize,
	})
	if err := engine.Start(); err != nil {
		return err
	}
	select {} // the engine's goroutines serve until the process ends
}
