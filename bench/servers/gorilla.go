package servers

import (
	"net"
	"net/http"

	"github.com/gorilla/websocket"
)

// serveGorilla uses net/http and gorilla's Upgrader with its default
// buffer sizes. NextReader into a reused buffer avoids the allocation of
// ReadMessage; WriteMessage is gorilla's single-frame fast path for a
// server without compression. Compressed, EnableCompression with
// gorilla's defaults: no context takeover either way (the only mode it
// has), level 1, every message compressed (write compression is on by
// default once negotiated). A Limit of 0 leaves SetReadLimit uncalled:
// gorilla's default is no limit.
func serveGorilla(ln net.Listener, o Options) error {
	up := websocket.Upgrader{
		CheckOrigin:       func(*http.Request) bool { return true },
		EnableCompression: o.Compress,
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has written the error response
		}
		defer c.Close()
		if o.Limit > 0 {
			c.SetReadLimit(o.Limit)
		}
		var buf []byte
		for {
			typ, rd, err := c.NextReader()
			if err != nil {
				return
			}
			msg, err := readAppend(rd, buf)
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				return
			}
			buf = keep(msg)
		}
	})
	return serveHTTP(ln, handler)
}
