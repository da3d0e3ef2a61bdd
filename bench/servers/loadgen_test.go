package servers_test

import (
	"net"
	"testing"
	"time"

	"github.com/fastws/fastws/bench/servers"
	"github.com/fastws/fastws/internal/loadgen"
)

// drive serves name on a fresh listener in this process and sends it 40
// messages on each of cfg's connections, recording all of them; it
// returns the client after the last echo.
func drive(t *testing.T, name string, compress bool, cfg loadgen.Config) *loadgen.Client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() { _ = servers.Serve(name, ln, compress) }()
	cfg.Addr = ln.Addr().String()
	c, err := loadgen.Connect(cfg)
	if err != nil {
		t.Fatalf("%s, %d bytes: %v", name, cfg.Size, err)
	}
	t.Cleanup(c.Close)
	c.SetRecording(true)
	if err := c.Start(40, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := c.Wait(20 * time.Second); err != nil {
		t.Fatalf("%s, %d bytes: %v", name, cfg.Size, err)
	}
	return c
}

// TestServersEcho drives every echo server, the floor reference included,
// in this process, at sizes on both sides of each length encoding and of
// the servers' buffers: 3 connections, 40 messages each, every first echo
// compared with what was sent and every later one checked for framing and
// length.
func TestServersEcho(t *testing.T) {
	for _, name := range servers.Names {
		for _, size := range []int{20, 1 << 10, 16 << 10, 64<<10 + 3} {
			c := drive(t, name, false, loadgen.Config{Conns: 3, Size: size})
			if msgs, _ := c.Result(); msgs != 120 {
				t.Errorf("%s, %d bytes: %d echoes, want 120", name, size, msgs)
			}
		}
	}
}

// TestCompressedServersVerifyAll drives every compressed echo server, in
// this process, and inflates every echo with the server's context as the
// receiver tracks it: 8 messages cycled 5 times, so that servers with
// context takeover compress repeats against their history.
func TestCompressedServersVerifyAll(t *testing.T) {
	for _, name := range servers.Compressed {
		for _, size := range []int{1 << 10, 16 << 10} {
			c := drive(t, name, true, loadgen.Config{Conns: 3, Size: size, Compress: true, Variants: 8, VerifyAll: true})
			w := c.Wire()
			t.Logf("%s, %d bytes: %q, %+v", name, size, c.Extension(), w)
			if w.Messages != 120 || w.Compressed != 120 {
				t.Errorf("%s, %d bytes: wire counts %+v", name, size, w)
			}
		}
	}
}

// TestEventLoopServersVerifyAll drives the event-loop servers, fastws's
// and the epoll-floor reference, comparing every echo byte for byte: at
// sizes on both sides of each length encoding, of the loops' shared
// 64 KiB read buffer and far beyond it, binary and text, from two
// load-generator loops; then with 1000 connections, so that every server
// loop holds hundreds.
func TestEventLoopServersVerifyAll(t *testing.T) {
	for _, name := range []string{servers.FastwsLoop, servers.EpollFloor} {
		for _, size := range []int{0, 125, 126, 65535, 65536, 64<<10 + 3, 1 << 20} {
			for _, text := range []bool{false, true} {
				c := drive(t, name, false, loadgen.Config{Conns: 4, Size: size, Text: text, Loops: 2, VerifyAll: true})
				if msgs, _ := c.Result(); msgs != 160 {
					t.Errorf("%s, %d bytes, text %v: %d echoes, want 160", name, size, text, msgs)
				}
			}
		}
		c := drive(t, name, false, loadgen.Config{Conns: 1000, Size: 1 << 10, VerifyAll: true})
		if msgs, _ := c.Result(); msgs != 40000 {
			t.Errorf("%s, 1000 connections: %d echoes, want 40000", name, msgs)
		}
	}
}
