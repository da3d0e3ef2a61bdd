package fastws_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/fastws/fastws"
)

// A WebSocket over HTTP/2 (RFC 8441): the same handler serves HTTP/1.1
// upgrades and HTTP/2 extended CONNECTs, and Dial uses HTTP/2 when the
// server offers it. The process must run with GODEBUG=http2xconnect=1
// for Go's server to offer it (this package's tests do).
func ExampleUpgrade_http2() {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := fastws.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		// Over HTTP/2 the WebSocket is this handler's stream: it ends
		// when the handler returns, so wait for the Conn.
		defer func() { <-c.Done() }()
		for {
			typ, msg, err := c.ReadMessage(r.Context())
			if err != nil {
				return
			}
			if err := c.WriteMessage(r.Context(), typ, msg); err != nil {
				return
			}
		}
	})
	srv := httptest.NewUnstartedServer(handler)
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()

	ctx := context.Background()
	opts := &fastws.DialOptions{
		// The test server's certificate; a real server's needs nothing.
		TLSConfig: &tls.Config{RootCAs: srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs},
		HTTP2:     fastws.HTTP2Only, // the default, HTTP2Auto, would fall back to HTTP/1.1
	}
	url := "wss" + strings.TrimPrefix(srv.URL, "https")
	for i := range 2 { // both WebSockets are streams of one TLS connection
		c, resp, err := fastws.Dial(ctx, url, opts)
		if err != nil {
			log.Fatal(err)
		}
		_ = c.WriteMessage(ctx, fastws.Text, fmt.Appendf(nil, "hello %d", i))
		_, msg, _ := c.ReadMessage(ctx)
		fmt.Println(resp.Proto, resp.StatusCode, string(msg))
		_ = c.Close(fastws.CloseNormal, "")
	}
	// Output:
	// HTTP/2.0 200 hello 0
	// HTTP/2.0 200 hello 1
}
