package testee

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// closeTimeout bounds the write of a close frame the testees send
// themselves.
const closeTimeout = 5 * time.Second

// GorillaAutobahnServer is a gorilla/websocket echo server in the style of
// gorilla's examples/autobahn server, the application behind its claim to
// pass the Autobahn server tests: it streams each message from NextReader
// to NextWriter, and since gorilla does not check the UTF-8 of text
// messages, the application does, failing the connection with 1007 at the
// first invalid byte. Same upgrader settings as the example: 4 KiB
// buffers, compression allowed, any origin; no read limit.
func GorillaAutobahnServer() http.Handler {
	up := &websocket.Upgrader{
		ReadBufferSize:    4096,
		WriteBufferSize:   4096,
		EnableCompression: true,
		CheckOrigin:       func(*http.Request) bool { return true },
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return // Upgrade has answered with an HTTP error
		}
		defer c.Close()
		for {
			if err := gorillaStreamOne(c); err != nil {
				if errors.Is(err, errInvalidUTF8) {
					msg := websocket.FormatCloseMessage(websocket.CloseInvalidFramePayloadData, "")
					c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(closeTimeout))
				}
				return
			}
		}
	})
}

// gorillaStreamOne copies one message from c back to c as it arrives,
// validating text on the way.
func gorillaStreamOne(c *websocket.Conn) error {
	typ, r, err := c.NextReader()
	if err != nil {
		return err // a close frame (already answered by gorilla) or a failure
	}
	if typ == websocket.TextMessage {
		r = &utf8Reader{r: r}
	}
	w, err := c.NextWriter(typ)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		return err
	}
	return w.Close()
}

// GorillaPlainServer is the plainest gorilla/websocket echo server:
// ReadMessage then WriteMessage, default upgrader settings apart from
// accepting any origin, and no UTF-8 check of its own. It shows what
// gorilla does without the help of the application.
func GorillaPlainServer() http.Handler {
	up := &websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			typ, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			if err := c.WriteMessage(typ, msg); err != nil {
				return
			}
		}
	})
}
