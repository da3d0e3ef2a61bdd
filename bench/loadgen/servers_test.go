package loadgen_test

import (
	"net"
	"testing"
	"time"

	"github.com/fastws/fastws/bench/loadgen"
	"github.com/fastws/fastws/bench/servers"
)

// TestServersEcho drives every echo server, the floor reference included,
// in this process, at sizes on both sides of each length encoding and of
// the servers' buffers: 3 connections, 40 messages each, every first echo
// compared with what was sent and every later one checked for framing and
// length.
func TestServersEcho(t *testing.T) {
	for _, name := range servers.Names {
		for _, size := range []int{20, 1 << 10, 16 << 10, 64<<10 + 3} {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = servers.Serve(name, ln, false) }()
			c, err := loadgen.Connect(loadgen.Config{Addr: ln.Addr().String(), Conns: 3, Size: size})
			if err != nil {
				t.Fatalf("%s, %d bytes: %v", name, size, err)
			}
			c.SetRecording(true)
			if err := c.Start(40, 20*time.Second); err != nil {
				t.Fatal(err)
			}
			err = c.Wait(20 * time.Second)
			msgs, _ := c.Result()
			c.Close()
			_ = ln.Close()
			if err != nil {
				t.Fatalf("%s, %d bytes: %v", name, size, err)
			}
			if msgs != 120 {
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
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = servers.Serve(name, ln, true) }()
			c, err := loadgen.Connect(loadgen.Config{
				Addr: ln.Addr().String(), Conns: 3, Size: size,
				Compress: true, Variants: 8, VerifyAll: true,
			})
			if err != nil {
				t.Fatalf("%s, %d bytes: %v", name, size, err)
			}
			c.SetRecording(true)
			if err := c.Start(40, 20*time.Second); err != nil {
				t.Fatal(err)
			}
			err = c.Wait(20 * time.Second)
			w := c.Wire()
			t.Logf("%s, %d bytes: %q, %+v", name, size, c.Extension(), w)
			c.Close()
			_ = ln.Close()
			if err != nil {
				t.Fatalf("%s, %d bytes: %v", name, size, err)
			}
			if w.Messages != 120 || w.Compressed != 120 {
				t.Errorf("%s, %d bytes: wire counts %+v", name, size, w)
			}
		}
	}
}
