package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/fastws/fastws"
)

func runConnect(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fastws connect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	binary := fs.Bool("binary", false, "send lines as binary messages instead of text")
	var maxMessage byteSize = fastws.DefaultMaxMessageSize
	fs.Var(&maxMessage, "max-message", "largest message accepted and longest line sent")
	compress := fs.Bool("compress", true, "offer permessage-deflate")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: fastws connect [flags] ws://host:port/path")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, _, err := fastws.Dial(ctx, fs.Arg(0), &fastws.DialOptions{
		ConnOptions: fastws.ConnOptions{MaxMessageSize: int64(maxMessage)},
		Compression: compression(*compress),
	})
	if err != nil {
		fmt.Fprintln(stderr, "fastws connect:", err)
		return 1
	}
	defer c.CloseNow()

	// Messages are printed by one goroutine, each on its own line.
	readErr := make(chan error, 1)
	go func() {
		out := bufio.NewWriter(stdout)
		var buf []byte
		for {
			_, msg, err := c.AppendMessage(context.Background(), buf[:0])
			if err != nil {
				out.Flush()
				readErr <- err
				return
			}
			out.Write(msg)
			out.WriteByte('\n')
			out.Flush()
			buf = msg
		}
	}()

	typ := fastws.Text
	if *binary {
		typ = fastws.Binary
	}
	lines := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 64<<10), int(maxMessage))
		for sc.Scan() {
			if err := c.WriteMessage(ctx, typ, sc.Bytes()); err != nil {
				lines <- err
				return
			}
		}
		lines <- sc.Err()
	}()

	select {
	case err := <-lines:
		if err != nil && !errors.Is(err, fastws.ErrClosed) {
			fmt.Fprintln(stderr, "fastws connect:", err)
			c.Close(fastws.CloseGoingAway, "")
			return 1
		}
		if err == nil {
			// End of input: send our close frame and let the reader print
			// every message up to the server's answer.
			if err := c.WriteClose(ctx, fastws.CloseNormal, ""); err != nil {
				fmt.Fprintln(stderr, "fastws connect:", err)
				return 1
			}
		}
		return closeStatus(<-readErr, stderr)
	case err := <-readErr:
		return closeStatus(err, stderr)
	case <-ctx.Done():
		c.Close(fastws.CloseGoingAway, "interrupted")
		return 1
	}
}

// closeStatus turns how the connection ended into an exit status: 0 for a
// normal close by either side, 1 with the reason on stderr otherwise.
func closeStatus(err error, stderr io.Writer) int {
	switch fastws.CloseStatus(err) {
	case fastws.CloseNormal, fastws.CloseGoingAway, fastws.CloseNoStatus:
		return 0
	}
	if errors.Is(err, fastws.ErrClosed) {
		err = errors.New("the server did not answer the close frame in time")
	}
	fmt.Fprintln(stderr, "fastws connect:", err)
	return 1
}
