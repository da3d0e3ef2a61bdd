package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fastws/fastws"
)

const testeeAbout = `usage: fastws testee-client [flags]

Runs fastws's client as the testee of a conformance server that speaks
the Autobahn testsuite's protocol (getCaseCount, runCase, updateReports):
the Autobahn fuzzingserver, or fastws conformance client. Each case's
messages are echoed until the server closes.

Examples:
  fastws conformance client -addr 127.0.0.1:9002 &
  fastws testee-client -url ws://127.0.0.1:9002
`

func runTesteeClient(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlags("testee-client")
	base := fs.String("url", "ws://127.0.0.1:9001", "conformance server to test against")
	agent := fs.String("agent", "fastws", "agent name the reports are filed under")
	var maxMessage byteSize = fastws.DefaultMaxMessageSize
	fs.Var(&maxMessage, "max-message", "largest message accepted (bytes, or with KiB/MiB/GiB)")
	caseTimeout := fs.Duration("case-timeout", 5*time.Minute, "longest a single case may run")
	compress := fs.Bool("compress", true, "offer permessage-deflate")
	if ok, code := parseFlags("testee-client", fs, args, testeeAbout, stdout, stderr); !ok {
		return code
	}
	t := &testee{base: strings.TrimSuffix(*base, "/"), agent: *agent, caseTimeout: *caseTimeout,
		opts: &fastws.DialOptions{ConnOptions: fastws.ConnOptions{MaxMessageSize: int64(maxMessage)}, Compression: compression(*compress)}}
	if err := t.run(stdout); err != nil {
		fmt.Fprintln(stderr, "fastws testee-client:", err)
		return 1
	}
	return 0
}

// testee speaks the protocol conformance servers use to drive a client:
// ask for the number of cases, run each by echoing until the server closes,
// then ask the server to write its reports.
type testee struct {
	base        string
	agent       string
	caseTimeout time.Duration
	opts        *fastws.DialOptions
}

func (t *testee) run(stdout io.Writer) error {
	count, err := t.caseCount()
	if err != nil {
		return fmt.Errorf("getCaseCount: %w", err)
	}
	fmt.Fprintf(stdout, "%d cases\n", count)
	for i := 1; i <= count; i++ {
		if err := t.runCase(i); err != nil {
			// A case may end with a failed connection on purpose; only a
			// failure to connect at all is worth a line.
			fmt.Fprintf(stdout, "case %d: %v\n", i, err)
		}
	}
	return t.updateReports()
}

func (t *testee) url(path string, query url.Values) string {
	query.Set("agent", t.agent)
	return t.base + path + "?" + query.Encode()
}

func (t *testee) caseCount() (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, _, err := fastws.Dial(ctx, t.base+"/getCaseCount", t.opts)
	if err != nil {
		return 0, err
	}
	defer c.CloseNow()
	_, msg, err := c.ReadMessage(ctx)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(msg)))
	if err != nil {
		return 0, fmt.Errorf("case count %q: %w", msg, err)
	}
	c.Close(fastws.CloseNormal, "")
	return n, nil
}

// runCase connects for case i and echoes every message with its type until
// the server ends the connection.
func (t *testee) runCase(i int) error {
	ctx, cancel := context.WithTimeout(context.Background(), t.caseTimeout)
	defer cancel()
	c, _, err := fastws.Dial(ctx, t.url("/runCase", url.Values{"case": {strconv.Itoa(i)}}), t.opts)
	if err != nil {
		return err
	}
	defer c.CloseNow()
	var buf []byte
	for {
		typ, msg, err := c.AppendMessage(ctx, buf[:0])
		if err != nil {
			var ce *fastws.CloseError
			if errors.As(err, &ce) {
				return nil
			}
			return nil // protocol failures are what some cases test
		}
		if err := c.WriteMessage(ctx, typ, msg); err != nil {
			return nil
		}
		buf = msg
	}
}

func (t *testee) updateReports() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c, _, err := fastws.Dial(ctx, t.url("/updateReports", url.Values{}), t.opts)
	if err != nil {
		return fmt.Errorf("updateReports: %w", err)
	}
	defer c.CloseNow()
	// The server closes once the reports are written.
	for {
		if _, _, err := c.ReadMessage(ctx); err != nil {
			if fastws.CloseStatus(err) == 0 && ctx.Err() != nil {
				return fmt.Errorf("updateReports: %w", err)
			}
			return nil
		}
	}
}
