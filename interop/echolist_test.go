package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/testtime"
)

// itemTimeout bounds each item of the echo list.
var itemTimeout = testtime.Limit(30 * time.Second)

const mib = 1 << 20

// echoItem is one item of the echo list (see doc.go) as the fastws client
// runs it.
type echoItem struct {
	name string
	run  func(ctx context.Context, c *echoClient) (detail string, err error)
}

// echoList is the whole list, in the order every client runs it.
var echoList = []echoItem{
	{"text", echoOf(fastws.Text, func() []byte { return []byte("hello, fastws") })},
	{"text-utf8", echoOf(fastws.Text, func() []byte { return []byte("héllo wörld ✓ 日本語 🚀") })},
	{"binary", echoOf(fastws.Binary, func() []byte {
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return b
	})},
	{"empty-text", echoOf(fastws.Text, func() []byte { return []byte{} })},
	{"empty-binary", echoOf(fastws.Binary, func() []byte { return []byte{} })},
	{"binary-125", echoOf(fastws.Binary, randomBytes(125))},
	{"binary-126", echoOf(fastws.Binary, randomBytes(126))},
	{"binary-65535", echoOf(fastws.Binary, randomBytes(65535))},
	{"binary-65536", echoOf(fastws.Binary, randomBytes(65536))},
	{"text-65536", echoOf(fastws.Text, randomText(65536, true))},
	{"random-1MiB", echoOf(fastws.Binary, randomBytes(mib))},
	{"random-16MiB", echoOf(fastws.Binary, randomBytes(16*mib))},
	{"text-1MiB", echoOf(fastws.Text, randomText(mib, false))},
	{"pipelined-1000", pipelined},
	{"fragmented-text-sent", fragmentedTextSent},
	{"fragmented-binary-sent", fragmentedBinarySent},
	{"fragmented-received", fragmentedReceived},
	{"ping-by-client", pingByClient(func() []byte { return []byte("ping-from-client") })},
	{"ping-125-by-client", pingByClient(randomBytes(125))},
	{"ping-by-server", pingByServer},
	{"close-by-client", closeByClient},
	{"close-by-server", closeByServer},
}

// echoListNames are the names of the whole list, which the Node and
// Python clients run too.
func echoListNames() []string {
	names := make([]string, len(echoList))
	for i, it := range echoList {
		names[i] = it.name
	}
	return names
}

// browserListNames leaves out of the list what a page cannot do: send
// fragments or pings.
func browserListNames() []string {
	cannot := []string{"fragmented-text-sent", "fragmented-binary-sent", "ping-by-client", "ping-125-by-client"}
	return slices.DeleteFunc(echoListNames(), func(n string) bool { return slices.Contains(cannot, n) })
}

// echoClient is the fastws client side of the list: a connection to
// base+"/main" and the pings the server sent on it.
type echoClient struct {
	base string
	conn *fastws.Conn

	// compression is offered on every connection (nil: none), and want is
	// the permessage-deflate every connection must then have negotiated,
	// in canonical form (see canonicalDeflate; "" for none).
	compression *fastws.CompressionOptions
	want        string

	mu    sync.Mutex
	pings []string
}

// dial opens base+path, and checks the negotiated extension against want.
func (c *echoClient) dial(ctx context.Context, path string) (*fastws.Conn, error) {
	return c.dialWith(ctx, path, nil)
}

// dialWith is dial with netDial, when not nil, opening the TCP connection.
func (c *echoClient) dialWith(ctx context.Context, path string, netDial func(context.Context, string, string) (net.Conn, error)) (*fastws.Conn, error) {
	conn, _, err := fastws.Dial(ctx, c.base+path, &fastws.DialOptions{
		ConnOptions: fastws.ConnOptions{OnPing: func(p []byte) {
			c.mu.Lock()
			c.pings = append(c.pings, string(p))
			c.mu.Unlock()
		}},
		Compression: c.compression,
		NetDial:     netDial,
	})
	if err != nil {
		return nil, err
	}
	if err := checkNegotiated(conn.Extensions(), c.want); err != nil {
		_ = conn.CloseNow()
		return nil, fmt.Errorf("fastws client on %s: %w", path, err)
	}
	return conn, nil
}

func (c *echoClient) pinged(payload string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.pings, payload)
}

// runEchoList runs the whole list with a fastws client against the echo
// server at base (ws://127.0.0.1:PORT), one subtest per item.
func runEchoList(t *testing.T, base string) {
	t.Helper()
	runList(t, &echoClient{base: base}, echoList)
}

// runList runs list with the fastws client c (base and compression set),
// one subtest per item.
func runList(t *testing.T, c *echoClient, list []echoItem) {
	t.Helper()
	base := c.base
	ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
	conn, err := c.dial(ctx, "/main")
	cancel()
	if err != nil {
		t.Fatalf("Dial %s/main: %v", base, err)
	}
	c.conn = conn
	t.Cleanup(func() { _ = conn.CloseNow() })
	if c.compression != nil {
		t.Logf("fastws client on %s/main: %q", base, conn.Extensions())
	}
	for _, it := range list {
		t.Run(it.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), itemTimeout)
			defer cancel()
			start := time.Now()
			detail, err := it.run(ctx, c)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s (%v)", detail, time.Since(start).Round(time.Millisecond))
		})
	}
}

// randomBytes returns a function making n random bytes, new at each call.
func randomBytes(n int) func() []byte {
	return func() []byte {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return b
	}
}

// randomText returns a function making n bytes of random UTF-8 text,
// mixing one- to four-byte characters unless asciiOnly.
func randomText(n int, asciiOnly bool) func() []byte {
	alphabet := []rune("abcdefghijklmnopqrstuvwxyz0123456789 ")
	if !asciiOnly {
		alphabet = append(alphabet, []rune("éüßñ✓€日本語🚀😀")...)
	}
	return func() []byte {
		var seed [32]byte
		_, _ = rand.Read(seed[:])
		rng := mrand.New(mrand.NewChaCha8(seed))
		b := make([]byte, 0, n)
		for {
			r := alphabet[rng.IntN(len(alphabet))]
			if len(b)+utf8.RuneLen(r) > n {
				break
			}
			b = utf8.AppendRune(b, r)
		}
		for len(b) < n {
			b = append(b, 'x')
		}
		return b
	}
}

// sameMessage says how a received message differs from the one expected,
// or returns nil.
func sameMessage(gotType fastws.MessageType, got []byte, wantType fastws.MessageType, want []byte) error {
	if gotType != wantType {
		return fmt.Errorf("got a %v message, want %v", gotType, wantType)
	}
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		return fmt.Errorf("payload differs: got %d bytes, want %d; first difference at byte %d", len(got), len(want), i)
	}
	return nil
}

// roundTrip sends one message and checks its echo.
func roundTrip(ctx context.Context, conn *fastws.Conn, typ fastws.MessageType, p []byte) error {
	if err := conn.WriteMessage(ctx, typ, p); err != nil {
		return fmt.Errorf("WriteMessage: %w", err)
	}
	gotType, got, err := conn.ReadMessage(ctx)
	if err != nil {
		return fmt.Errorf("ReadMessage: %w", err)
	}
	return sameMessage(gotType, got, typ, p)
}

func echoOf(typ fastws.MessageType, payload func() []byte) func(context.Context, *echoClient) (string, error) {
	return func(ctx context.Context, c *echoClient) (string, error) {
		p := payload()
		if err := roundTrip(ctx, c.conn, typ, p); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d bytes echoed intact", len(p)), nil
	}
}
