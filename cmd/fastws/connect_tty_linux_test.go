package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the test types into and reads the
// screen from the master; the command gets the slave as stdin and stdout.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80})
	return m, s
}

// screen gathers what the command writes to the terminal.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) read(m *os.File) {
	b := make([]byte, 4096)
	for {
		n, err := m.Read(b)
		s.mu.Lock()
		s.buf.Write(b[:n])
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor waits until the screen shows want n times.
func (s *screen) waitFor(t *testing.T, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(testtime.Limit(10 * time.Second))
	for strings.Count(s.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the screen never showed %q %d times:\n%q", want, n, s.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// On a terminal connect is interactive: lines typed are sent, messages
// print above the prompt without breaking the line being typed, history
// recalls a line, and Ctrl-D closes with 1000 and says how it ended.
func TestConnectInteractive(t *testing.T) {
	leakcheck.Check(t)
	push := make(chan struct{})
	url := serveConns(t, func(c *fastws.Conn) {
		ctx := context.Background()
		go func() {
			<-push
			c.WriteMessage(ctx, fastws.Text, []byte("pushed by the server"))
		}()
		for {
			typ, msg, err := c.ReadMessage(ctx)
			if err != nil {
				return
			}
			c.WriteMessage(ctx, typ, append([]byte("echo: "), msg...))
		}
	})
	master, slave := openPTY(t)
	var scr screen
	readDone := make(chan struct{})
	go func() { scr.read(master); close(readDone) }()
	var errOut syncBuffer
	exit := make(chan int, 1)
	go func() { exit <- run([]string{"connect", url}, slave, slave, &errOut) }()
	defer func() {
		slave.Close()
		master.Close()
		<-readDone
	}()

	scr.waitFor(t, "connected to "+url+", permessage-deflate", 1)
	master.WriteString("hello\r")
	scr.waitFor(t, "echo: hello", 1)
	// A message arriving while a line is half typed goes above it, and
	// the prompt comes back with the line as it was.
	master.WriteString("half")
	scr.waitFor(t, "> half", 1)
	close(push)
	scr.waitFor(t, "pushed by the server\r\n> half", 1)
	// Ctrl-U clears the line; the up arrow recalls the last one sent.
	master.WriteString("\x15\x1b[A\r")
	scr.waitFor(t, "echo: hello", 2)
	master.WriteString("\x04") // Ctrl-D
	select {
	case code := <-exit:
		if code != exitNormal {
			t.Fatalf("exit %d, stderr %q", code, errOut.String())
		}
	case <-time.After(testtime.Limit(10 * time.Second)):
		t.Fatalf("Ctrl-D did not end the command; screen:\n%q", scr.String())
	}
	if got := strings.TrimSpace(errOut.String()); got != "fastws connect: closed: 1000 (normal closure)" {
		t.Errorf("stderr %q", got)
	}
	// The terminal is back in its own mode: echo and line editing on.
	tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if tio.Lflag&unix.ECHO == 0 || tio.Lflag&unix.ICANON == 0 {
		t.Errorf("terminal left in raw mode: lflag %#x", tio.Lflag)
	}
}
