// Client sends text messages to a WebSocket server, prints the reply to
// each, then closes the connection with 1000 (normal closure) and prints
// how the server answered the close. It shows fastws.Dial, one request and
// one reply at a time, and a closing handshake done by hand with
// WriteClose, so that the server's close code can be read.
//
// Each argument is sent as one message; with no arguments, each line of
// standard input is. From the examples folder, with the echo example
// running:
//
//	go run ./client -url ws://127.0.0.1:8080/echo hello world
//	printf 'one\ntwo\n' | go run ./client
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"

	"github.com/fastws/fastws"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8080/echo", "WebSocket URL to connect to")
	flag.Parse()

	in := io.Reader(os.Stdin)
	if flag.NArg() > 0 {
		in = strings.NewReader(strings.Join(flag.Args(), "\n"))
	}
	// Ctrl-C stops a wait for a reply that does not come.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *url, in, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run sends each line of in to url as a text message and writes each
// reply to out, one per line; then it closes the connection and writes the
// server's close code.
func run(ctx context.Context, url string, in io.Reader, out io.Writer) error {
	c, _, err := fastws.Dial(ctx, url, nil)
	if err != nil {
		return err
	}
	// Drops the connection if anything below fails. After a completed
	// closing handshake there is nothing left to drop, and CloseNow only
	// says so.
	defer c.CloseNow()

	lines := bufio.NewScanner(in)
	for lines.Scan() {
		if err := c.WriteMessage(ctx, fastws.Text, lines.Bytes()); err != nil {
			return err
		}
		_, reply, err := c.ReadMessage(ctx)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "%s\n", reply); err != nil {
			return err
		}
	}
	if err := lines.Err(); err != nil {
		return err
	}

	// Close would do the whole handshake but keep the server's close frame
	// to itself. WriteClose only sends ours, and the server's answer then
	// reaches the reader as a *fastws.CloseError.
	if err := c.WriteClose(ctx, fastws.CloseNormal, "done"); err != nil {
		return err
	}
	for {
		_, _, err := c.ReadMessage(ctx)
		var ce *fastws.CloseError
		switch {
		case errors.As(err, &ce) && ce.Code != fastws.CloseAbnormal:
			_, err := fmt.Fprintf(out, "server closed: %v\n", ce.Code)
			return err
		case err != nil:
			return err // no close frame came back; ReadMessage says why
		}
		// A message the server sent before it saw our close frame: we have
		// said we want no more, so it is dropped. The wait is bounded by
		// the connection's CloseTimeout.
	}
}
