package testee

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client is a testee client: one library's way of opening a connection
// and echoing on it.
type Client interface {
	// ReadText connects to url and returns the first message's text.
	ReadText(ctx context.Context, url string) (string, error)
	// Echo connects to url and sends back every message, with its type,
	// until the connection ends. An error is expected of cases that fail
	// the connection on purpose; a failure to connect is a *DialError.
	Echo(ctx context.Context, url string) error
}

// DialError is an error that happened before a connection opened.
type DialError struct{ Err error }

func (e *DialError) Error() string { return "dial: " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *DialError) Unwrap() error { return e.Err }

// Timeouts of the testee protocol.
const (
	// caseLimit bounds one case, well above the suite's longest (100 s).
	caseLimit = 3 * time.Minute
	// controlLimit bounds /getCaseCount and /updateReports.
	controlLimit = time.Minute
)

// RunClient drives c through the testee protocol of the Autobahn
// fuzzingserver against the suite at base (ws://host:port): it asks for
// the number of cases, connects once per case and echoes until the
// connection ends, then asks for the reports under agent. progress, when
// set, is called after each case with the echo's error.
func RunClient(ctx context.Context, base, agent string, c Client, progress func(n int, err error)) error {
	base = strings.TrimSuffix(base, "/")
	countCtx, cancel := context.WithTimeout(ctx, controlLimit)
	text, err := c.ReadText(countCtx, base+"/getCaseCount")
	cancel()
	if err != nil {
		return fmt.Errorf("getCaseCount: %w", err)
	}
	count, err := strconv.Atoi(strings.TrimSpace(text))
	if err != nil {
		return fmt.Errorf("getCaseCount: %q is not a number", text)
	}
	for n := 1; n <= count && ctx.Err() == nil; n++ {
		caseCtx, cancel := context.WithTimeout(ctx, caseLimit)
		q := url.Values{"case": {strconv.Itoa(n)}, "agent": {agent}}
		err := c.Echo(caseCtx, base+"/runCase?"+q.Encode())
		cancel()
		if progress != nil {
			progress(n, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return updateReports(ctx, base, agent, c)
}

// reportAttempts bounds the tries of /updateReports: a client's HTTP stack
// may hand the request to a pooled connection that has gone bad (see
// RESULTS.md on case 11.5.6), and a fresh try then succeeds.
const reportAttempts = 3

// updateReports asks the suite for the reports. The suite answers once
// every case is judged, with a close frame: echoing until then is waiting
// for it.
func updateReports(ctx context.Context, base, agent string, c Client) error {
	q := url.Values{"agent": {agent}}
	var err error
	for range reportAttempts {
		reportCtx, cancel := context.WithTimeout(ctx, controlLimit)
		err = c.Echo(reportCtx, base+"/updateReports?"+q.Encode())
		expired := reportCtx.Err() != nil
		cancel()
		var dialErr *DialError
		switch {
		case expired:
			return fmt.Errorf("updateReports: %w", err)
		case !errors.As(err, &dialErr):
			return nil // the suite closed the connection: the reports are written
		}
	}
	return fmt.Errorf("updateReports: %w", err)
}
