package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/fastws/fastws"
	"golang.org/x/term"
)

// tty is an interactive fastws connect: stdin and stdout are one
// terminal, put in raw mode so that x/term's line editor can keep the
// line being typed (and its history) below the messages printed above it.
type tty struct {
	in, out *os.File
	t       *term.Terminal
}

// terminalOf returns the terminal when stdin and stdout are both one, nil
// for pipe mode.
func terminalOf(stdin io.Reader, stdout io.Writer) *tty {
	in, ok1 := stdin.(*os.File)
	out, ok2 := stdout.(*os.File)
	if !ok1 || !ok2 || !term.IsTerminal(int(in.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return nil
	}
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, out}, "> ")
	if w, h, err := term.GetSize(int(out.Fd())); err == nil {
		t.SetSize(w, h)
	}
	return &tty{in: in, out: out, t: t}
}

// screen is where events are printed: above the prompt.
func (t *tty) screen() io.Writer { return t.t }

// interactive sends each line typed until Ctrl-D or Ctrl-C, which close
// with 1000, and prints the server's messages above the prompt until the
// connection ends.
func (s *connectSession) interactive(ctx context.Context, t *tty) int {
	state, err := term.MakeRaw(int(t.in.Fd()))
	if err != nil {
		fmt.Fprintln(s.stderr, "fastws connect: cannot use the terminal:", innermost(err))
		return exitUsage
	}
	restore := func() { term.Restore(int(t.in.Fd()), state) }
	s.tty = true
	defer restore()
	fmt.Fprintf(t.t, "connected to %s%s; Ctrl-D or Ctrl-C closes\n", s.flags.url, s.negotiated())

	typ := fastws.Text
	if s.flags.binary {
		typ = fastws.Binary
	}
	typed := func() error {
		for {
			line, err := t.t.ReadLine()
			if err != nil {
				return err // io.EOF for Ctrl-D and Ctrl-C
			}
			if len(line) > int(s.flags.maxMessage) {
				s.skip(fmt.Sprintf("the line is longer than -max-message (%d bytes)", s.flags.maxMessage))
				continue
			}
			if err := s.send(ctx, typ, []byte(line)); err != nil {
				return err
			}
		}
	}
	return s.run(ctx, typed, func() {
		// The prompt's line is left as typed; the status goes below it.
		t.out.WriteString("\r\n")
		restore()
	})
}

// negotiated describes what the handshake agreed beyond the defaults.
func (cs *connectSession) negotiated() string {
	s := ""
	if cs.h2 {
		s += " over HTTP/2"
	}
	if p := cs.conn.Subprotocol(); p != "" {
		s += fmt.Sprintf(", subprotocol %q", p)
	}
	if e := cs.conn.Extensions(); e != "" {
		s += ", " + e
	}
	return s
}
