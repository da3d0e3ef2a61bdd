package interop

// What both sides of the browser tests share: the lists the fastws client
// compiled for js/wasm runs in headless Chromium (wasm_js_test.go), which
// TestWasmClientInChromium (wasm_test.go) expects to pass item by item.

import (
	"context"
	"fmt"
	"strings"

	"github.com/fastws/fastws"
)

// wasmEchoList is the echo list as the fastws client runs it in the
// browser: the browser's list (browserListNames), except that the items
// that read frames or watch pings with OnPing, which a page cannot, read
// whole messages and check the server's side instead; NextWriter, which
// the browser sends as one message, is its own item.
func wasmEchoList() []echoItem {
	byName := map[string]echoItem{}
	for _, it := range echoList {
		byName[it.name] = it
	}
	var list []echoItem
	for _, name := range browserListNames() {
		switch name {
		case "fragmented-received":
			list = append(list, echoItem{"fragmented-received-whole", fragmentedReceivedWhole})
		case "ping-by-server":
			list = append(list, echoItem{"ping-by-server-answered", pingByServerAnswered})
			list = append(list, echoItem{"nextwriter-sent", fragmentedBinarySent})
		default:
			list = append(list, byName[name])
		}
	}
	return list
}

// fragmentedReceivedWhole asks the server for a fragmented message, which
// the browser hands over whole.
func fragmentedReceivedWhole(ctx context.Context, c *echoClient) (string, error) {
	want := append([]byte("fragment-me:"), randomText(40000, false)()...)
	if err := roundTrip(ctx, c.conn, fastws.Text, want); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d bytes sent back in 3 frames, read as one message", len(want)), nil
}

// pingByServerAnswered asks the server to ping: the browser answers, and
// the server's "pong-received:" message says the pong carried the
// payload (the server's record is checked too).
func pingByServerAnswered(ctx context.Context, c *echoClient) (string, error) {
	const payload = "ping-from-server"
	if err := c.conn.WriteMessage(ctx, fastws.Text, []byte("ping-me:"+payload)); err != nil {
		return "", fmt.Errorf("WriteMessage: %w", err)
	}
	typ, got, err := c.conn.ReadMessage(ctx)
	if err != nil {
		return "", fmt.Errorf("ReadMessage: %w", err)
	}
	if err := sameMessage(typ, got, fastws.Text, []byte("pong-received:"+payload)); err != nil {
		return "", err
	}
	return "the browser answered the server's ping", nil
}

// wasmServerCloses are the closes the server begins in
// TestInBrowserServerClose, each on a connection of its own, and what
// the browser's reader must report.
var wasmServerCloses = []struct {
	name   string
	code   fastws.CloseCode
	reason string
}{
	{"normal", fastws.CloseNormal, "done"},
	{"going-away", fastws.CloseGoingAway, "server restarts"},
	{"no-status", fastws.CloseNoStatus, ""},
	{"private-4999", 4999, strings.Repeat("r", 123)},
}
