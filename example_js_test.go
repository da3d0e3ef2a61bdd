package fastws_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"syscall/js"
	"time"

	"github.com/fastws/fastws"
)

// In a web page (GOOS=js GOARCH=wasm), Dial opens the connection with the
// browser's WebSocket API and the Conn reads and writes messages as
// anywhere else; here, to the server that served the page. What the
// browser's API cannot do (raw frames, pings, the server side, options
// such as Header that the browser decides) fails with an error that says
// so. The interop tests run this example in headless Chromium.
func ExampleDial_browser() {
	location := js.Global().Get("location")
	scheme := "ws"
	if location.Get("protocol").String() == "https:" {
		scheme = "wss"
	}
	url := scheme + "://" + location.Get("host").String() + "/echo"

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := fastws.Dial(ctx, url, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.WriteMessage(ctx, fastws.Text, []byte("hello from the browser")); err != nil {
		log.Fatal(err)
	}
	typ, reply, err := c.ReadMessage(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v: %s\n", typ, reply)

	err = c.Ping(ctx, nil)
	fmt.Println("Ping unsupported:", errors.Is(err, errors.ErrUnsupported))

	if err := c.Close(fastws.CloseNormal, "bye"); err != nil {
		log.Fatal(err)
	}
	// Output:
	// text: hello from the browser
	// Ping unsupported: true
}
