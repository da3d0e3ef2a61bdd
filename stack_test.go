package fastws

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/wsframe"
)

// stackChildEnv makes the test binary run TestConnectionStackStaysSmall's
// measurement itself.
const stackChildEnv = "FASTWS_STACK_CHILD"

// Most of what an idle connection costs is its goroutine's stack. A
// goroutine starts with 2 KiB; once a call chain needs more, the stack is
// copied into 4 KiB and, parked in the poller, never shrinks back. This
// test checks that the goroutine of a connection served with Accept,
// AppendMessage and WriteMessage stays within its first 2 KiB through the
// handshake, echoes of 20 B, 1 KiB, 16 KiB and 64 KiB messages, a ping answered and
// idle waits.
//
// It runs in a child process with GODEBUG=adaptivestackstart=0, so that
// every goroutine starts at 2 KiB whatever the test binary did before;
// with GOGC=off, because an allocation made while the collector runs may
// take the runtime's assist path, several hundred bytes deep, which no
// library can keep within 2 KiB (an echo that grows its buffer to 64 KiB
// allocates); and without the race detector, whose instrumentation
// deepens every call.
func TestConnectionStackStaysSmall(t *testing.T) {
	if os.Getenv(stackChildEnv) != "" {
		measureConnectionStacks(t)
		return
	}
	if raceEnabled {
		t.Skip("stack sizes under -race include the detector's own frames; `make test` runs this test without it")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestConnectionStackStaysSmall$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), stackChildEnv+"=1", "GODEBUG=adaptivestackstart=0", "GOGC=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	t.Logf("child: %s", bytes.TrimSpace(grepLine(out, "stack per connection")))
}

func grepLine(out []byte, s string) []byte {
	for line := range bytes.Lines(out) {
		if bytes.Contains(line, []byte(s)) {
			return line
		}
	}
	return nil
}

func measureConnectionStacks(t *testing.T) {
	// StackInuse counts whole 32 KiB spans of stacks, so the count is
	// large enough for a span to be 32 bytes per connection.
	const conns = 1000
	leakcheck.Check(t)
	ln := listen(t)
	ended := make(chan struct{}, conns+1)
	// The accept loop is written out, not shared with other tests: the
	// goroutine it starts per connection is what is measured, so its
	// frames must be exactly these.
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { ended <- struct{}{} }()
				c, err := Accept(nc, nil)
				if err != nil {
					return
				}
				_ = echoLoop(c) // the loop whose stack is measured
			}()
		}
	}()

	// A first connection grows this goroutine's stack and warms the
	// pools, so that what follows measures the server's goroutines.
	warm := newStackPeer(t, ln.Addr().String())
	warm.exchange()
	warm.conn.Close()
	<-ended

	// No runtime.GC here or below: with the collector off, stacks only
	// grow, and the pools keep what the first connection put in them.
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	peers := make([]*stackPeer, conns)
	for i := range peers {
		peers[i] = newStackPeer(t, ln.Addr().String())
	}
	for _, p := range peers {
		p.exchange()
	}
	time.Sleep(50 * time.Millisecond) // every server goroutine parked again

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	per := float64(after.StackInuse-before.StackInuse) / conns
	t.Logf("stack per connection: %.0f bytes (%d connections)", per, conns)
	// 2 KiB each, give or take the spans the per-P stack caches hold;
	// 8% of them at 4 KiB would fail.
	if limit := 2048.0 + 160; per > limit {
		t.Errorf("%.0f bytes of stack per idle connection, want at most %.0f: some call chain outgrew a 2 KiB stack", per, limit)
	}

	for _, p := range peers {
		p.conn.Close()
	}
	for range conns {
		select {
		case <-ended:
		case <-time.After(10 * time.Second):
			t.Fatal("server goroutines did not end")
		}
	}
}

// stackPeer is a client driven from the test goroutine, so that it adds
// no goroutine of its own to the stacks measured.
type stackPeer struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func newStackPeer(t *testing.T, addr string) *stackPeer {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	p := &stackPeer{t: t, conn: conn, br: bufio.NewReader(conn)}
	if _, err := io.WriteString(conn, rawUpgrade("/")); err != nil {
		t.Fatal(err)
	}
	status, err := p.br.ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		t.Fatalf("handshake: %q, %v", status, err)
	}
	for {
		line, err := p.br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == "\r\n" {
			return p
		}
	}
}

// send writes one masked frame.
func (p *stackPeer) send(op wsframe.Opcode, payload []byte) {
	h := wsframe.Header{Fin: true, Opcode: op, Masked: true, Mask: [4]byte{1, 2, 3, 4}, Length: int64(len(payload))}
	frame := wsframe.AppendHeader(nil, h)
	start := len(frame)
	frame = append(frame, payload...)
	wsframe.Mask(h.Mask, 0, frame[start:])
	if _, err := p.conn.Write(frame); err != nil {
		p.t.Fatal(err)
	}
}

// receive reads one unmasked frame and checks it.
func (p *stackPeer) receive(op wsframe.Opcode, want []byte) {
	var hdr [wsframe.MaxHeaderSize]byte
	if _, err := io.ReadFull(p.br, hdr[:2]); err != nil {
		p.t.Fatal(err)
	}
	n := 2 + map[byte]int{126: 2, 127: 8}[hdr[1]&0x7f]
	if _, err := io.ReadFull(p.br, hdr[2:n]); err != nil {
		p.t.Fatal(err)
	}
	h, _, err := wsframe.ParseHeader(hdr[:n])
	if err != nil || h.Opcode != op || h.Length != int64(len(want)) {
		p.t.Fatalf("got %+v (%v), want %v of %d bytes", h, err, op, len(want))
	}
	got := make([]byte, h.Length)
	if _, err := io.ReadFull(p.br, got); err != nil {
		p.t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		p.t.Fatalf("%v payload differs", op)
	}
}

// exchange runs what every connection measured goes through.
func (p *stackPeer) exchange() {
	for _, size := range []int{20, 1 << 10, 16 << 10, 64 << 10} {
		p.echo(size)
	}
	p.ping()
	p.echo(20)
}

func (p *stackPeer) echo(size int) {
	msg := bytes.Repeat([]byte(fmt.Sprint(size%10)), size)
	p.send(wsframe.OpBinary, msg)
	p.receive(wsframe.OpBinary, msg)
}

func (p *stackPeer) ping() {
	p.send(wsframe.OpPing, []byte("are you there"))
	p.receive(wsframe.OpPong, []byte("are you there"))
}
