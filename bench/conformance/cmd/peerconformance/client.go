package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/fastws/fastws/bench/conformance/testee"
	"github.com/fastws/fastws/conformance"
)

// reportWait bounds how long the suite may take to hand over the report
// once the testee client has asked for it.
const reportWait = time.Minute

// runClient serves a conformance.ClientSuite on 127.0.0.1 and drives the
// testee client through it with the testee protocol.
func runClient(ctx context.Context, p peer, cases []*conformance.Case, cfg config, log io.Writer) (*conformance.Report, error) {
	reports := make(chan *conformance.Report, 1)
	suite := &conformance.ClientSuite{
		Cases:       cases,
		CaseTimeout: cfg.caseTimeout,
		Progress: func(_ string, r *conformance.Result) {
			if cfg.verbose {
				fmt.Fprintf(log, "  %s %-9s %s\n", p.name, r.ID, r.Result)
			}
		},
		OnReport: func(r *conformance.Report) {
			select {
			case reports <- r:
			default:
			}
		},
	}
	url, stop, err := testee.Listen(suite)
	if err != nil {
		return nil, err
	}
	defer stop()
	echoed := func(n int, err error) {
		if cfg.verbose {
			fmt.Fprintf(log, "  %s case %d: the echo ended with %v\n", p.name, n, err)
		}
	}
	if err := testee.RunClient(ctx, url, p.agent, p.client, echoed); err != nil {
		return nil, err
	}
	select {
	case rep := <-reports:
		if n := len(rep.Results()); n != len(cases) {
			return nil, fmt.Errorf("the report holds %d cases of %d", n, len(cases))
		}
		return rep, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(reportWait):
		return nil, errors.New("the suite did not hand over the report")
	}
}
