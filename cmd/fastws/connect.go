package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/wsframe"
)

func runConnect(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("connect")
	var f connectFlags
	f.register(fs)
	if err := f.parse(fs, args); err != nil {
		return flagFailure("connect", err, stdout, stderr, func(w io.Writer) { connectUsage(fs, w) })
	}
	opts, err := f.dialOptions()
	if err != nil {
		fmt.Fprintln(stderr, "fastws connect:", err)
		return exitUsage
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	tty := terminalOf(stdin, stdout)
	var out io.Writer = stdout
	if tty != nil {
		out = tty.screen()
	}
	s := &connectSession{flags: &f, printer: newEventPrinter(&f, out), stderr: stderr, stopSignals: stop}
	opts.OnPing = func(p []byte) { s.printer.control(dirIn, "ping", p, 0) }
	opts.OnPong = func(p []byte) { s.printer.control(dirIn, "pong", p, s.pongRTT(p)) }

	c, resp, err := fastws.Dial(ctx, f.url, opts)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(stderr, "fastws connect: interrupted while connecting")
			return exitTimeout
		}
		fl := dialFailure(f.url, f.timeout.String(), err)
		fmt.Fprintln(stderr, "fastws connect:", fl.line)
		fmt.Fprint(stderr, fl.details)
		return fl.status
	}
	defer c.CloseNow()
	s.conn, s.h2 = c, resp.ProtoMajor == 2
	if tty == nil && !f.quiet {
		fmt.Fprintf(stderr, "fastws connect: connected to %s%s\n", f.url, s.negotiated())
	}
	if tty != nil {
		return s.interactive(ctx, tty)
	}
	return s.pipe(ctx, stdin)
}

// connectSession is one connection of fastws connect: a reader that
// prints, a sender fed by stdin or the prompt, an optional pinger, and
// the close that ends them.
type connectSession struct {
	flags   *connectFlags
	conn    *fastws.Conn
	h2      bool // the WebSocket is an HTTP/2 stream
	printer *eventPrinter
	stderr  io.Writer
	// stopSignals gives an interrupt back its default action.
	stopSignals func()

	closeOnce sync.Once
	// peerClose is the server's close frame, once read; set by the reader
	// before it returns.
	peerClose *fastws.CloseError
	// tty is set in interactive mode, where even a normal close is told.
	tty bool
	// lastHeard is when the last message arrived (Unix nanoseconds),
	// for -linger.
	lastHeard atomic.Int64
	// skipped counts messages of the input that could not be sent; each
	// was reported, and the exit status says there were some.
	skipped atomic.Int64

	pingMu   sync.Mutex
	pingSent map[string]time.Time // payload of each ping in flight
}

// read prints every message until the connection ends and returns how it
// ended. After -exit-after messages it closes with 1000, and messages
// still in flight then are read but not printed: the user asked for N.
func (s *connectSession) read() error {
	var buf []byte
	n := 0
	for {
		typ, msg, err := s.conn.AppendMessage(context.Background(), buf[:0])
		if err != nil {
			var ce *fastws.CloseError
			if errors.As(err, &ce) && ce.Code != fastws.CloseAbnormal {
				s.peerClose = ce
				s.printer.closeFrame(dirIn, ce.Code, ce.Reason)
			}
			return err
		}
		buf = msg
		s.lastHeard.Store(time.Now().UnixNano())
		if s.flags.exitAfter > 0 && n >= s.flags.exitAfter {
			continue
		}
		s.printer.message(dirIn, typ, msg)
		if n++; n == s.flags.exitAfter {
			s.close()
		}
	}
}

// close begins the closing handshake with 1000, once; the reader keeps
// printing what arrives until the server's close frame.
func (s *connectSession) close() {
	s.closeOnce.Do(func() {
		s.printer.closeFrame(dirOut, fastws.CloseNormal, "")
		s.conn.WriteClose(context.Background(), fastws.CloseNormal, "")
	})
}

// skip reports a message of the input that is not sent, and goes on.
func (s *connectSession) skip(why string) {
	s.skipped.Add(1)
	if s.tty {
		s.printer.w.Write([]byte("not sent: " + why + "\n"))
		return
	}
	fmt.Fprintln(s.stderr, "fastws connect:", why)
}

// send writes one message from the user, printing it as an event first:
// printed after, it could follow the echo it caused. A write that fails
// ends the command with an error that says so.
func (s *connectSession) send(ctx context.Context, typ fastws.MessageType, p []byte) error {
	s.printer.message(dirOut, typ, p)
	return s.conn.WriteMessage(ctx, typ, p)
}

// ping sends pings every -ping-interval until done, noting any whose
// pong has not come back by the next.
func (s *connectSession) ping(done <-chan struct{}) {
	t := time.NewTicker(s.flags.pingInterval)
	defer t.Stop()
	for seq := 1; ; seq++ {
		select {
		case <-done:
			return
		case <-t.C:
		}
		payload := fmt.Sprintf("fastws %d", seq)
		s.pingMu.Lock()
		for p := range s.pingSent {
			s.printer.note(fmt.Sprintf("no pong for ping %q after %s", p, s.flags.pingInterval))
			delete(s.pingSent, p)
		}
		if s.pingSent == nil {
			s.pingSent = map[string]time.Time{}
		}
		s.pingSent[payload] = time.Now()
		s.pingMu.Unlock()
		s.printer.control(dirOut, "ping", []byte(payload), 0)
		if err := s.conn.WriteFrame(context.Background(), fastws.Frame{Fin: true, Opcode: wsframe.OpPing, Payload: []byte(payload)}); err != nil {
			return
		}
	}
}

// pongRTT is the round trip of the ping this pong answers, or 0 for an
// unsolicited pong.
func (s *connectSession) pongRTT(p []byte) time.Duration {
	s.pingMu.Lock()
	defer s.pingMu.Unlock()
	sent, ok := s.pingSent[string(p)]
	if !ok {
		return 0
	}
	delete(s.pingSent, string(p))
	return time.Since(sent)
}

// pipe sends stdin's messages and prints the server's until both are
// done: stdin's end sends a close frame, and the command exits when the
// server answers it (or closes first).
func (s *connectSession) pipe(ctx context.Context, stdin io.Reader) int {
	return s.run(ctx, func() error { return s.sendInput(ctx, stdin) }, func() {})
}

// run reads (and pings) while input sends, until the connection ends.
// The end of input, or an interrupt, begins the close; ending calls
// before (which puts a terminal back) and returns the exit status.
func (s *connectSession) run(ctx context.Context, input func() error, before func()) int {
	readDone := make(chan error, 1)
	go func() { readDone <- s.read() }()
	stopPing := make(chan struct{})
	defer close(stopPing)
	if s.flags.pingInterval > 0 {
		go s.ping(stopPing)
	}
	inputDone := make(chan error, 1)
	go func() { inputDone <- input() }()

	var inputErr error
	var linger <-chan time.Time // runs once the input is done
	for {
		select {
		case err := <-inputDone:
			inputDone = nil
			if err != nil && err != io.EOF && !errors.Is(err, fastws.ErrClosed) {
				inputErr = err
			}
			if inputErr != nil || s.tty || s.flags.linger <= 0 {
				s.close()
				continue
			}
			s.lastHeard.Store(time.Now().UnixNano())
			linger = time.After(s.flags.linger)
		case <-linger:
			// Close once the server has been quiet for -linger: answers
			// to the last lines may still be coming, and a server may
			// drop what it had not sent when our close frame arrives.
			quiet := time.Since(time.Unix(0, s.lastHeard.Load()))
			if quiet < s.flags.linger {
				linger = time.After(s.flags.linger - quiet)
				continue
			}
			linger = nil
			s.close()
		case <-ctx.Done():
			if !s.flags.quiet && !s.tty {
				fmt.Fprintln(s.stderr, "fastws connect: interrupted: closing with 1000")
			}
			// A second interrupt ends the command at once, as usual.
			s.stopSignals()
			ctx = context.Background()
			s.close()
		case err := <-readDone:
			before()
			return s.finish(err, inputErr)
		}
	}
}

// sendInput cuts stdin into messages as the flags say and sends them.
func (s *connectSession) sendInput(ctx context.Context, stdin io.Reader) error {
	typ := fastws.Text
	if s.flags.binary {
		typ = fastws.Binary
	}
	in := newInputSplitter(stdin, s.flags)
	for {
		msg, err := in.next()
		var skip *skipped
		if errors.As(err, &skip) {
			s.skip(skip.Error())
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.send(ctx, typ, msg); err != nil {
			return err
		}
	}
}

// finish prints how the connection ended and returns the exit status. A
// failure of stdin outranks a normal close, which it caused.
func (s *connectSession) finish(readErr, inputErr error) int {
	fl := endFailure(readErr)
	if inputErr != nil && fl.status == exitNormal {
		fl = failure{status: exitPeerClose, line: inputErr.Error()}
	}
	if n := s.skipped.Load(); n > 0 && fl.status == exitNormal {
		fl = failure{status: exitPeerClose, line: fmt.Sprintf("closed normally, but %s not sent (see above)", plural(int(n), "message of the input was", "messages of the input were"))}
	}
	if fl.line == "" && s.tty && s.peerClose != nil {
		fl.line = "closed: " + closeText(s.peerClose.Code, s.peerClose.Reason)
	}
	if fl.line != "" {
		fmt.Fprintln(s.stderr, "fastws connect:", fl.line)
	}
	return fl.status
}

// plural is n with the singular or plural form after it.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
