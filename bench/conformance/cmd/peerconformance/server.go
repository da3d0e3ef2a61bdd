package main

import (
	"context"
	"fmt"
	"io"

	"github.com/fastws/fastws/bench/conformance/testee"
	"github.com/fastws/fastws/conformance"
)

// runServer serves the testee's handler on 127.0.0.1 and plays the cases
// against it as the suite's client.
func runServer(ctx context.Context, p peer, cases []*conformance.Case, cfg config, log io.Writer) (*conformance.Report, error) {
	url, stop, err := testee.Listen(p.handler())
	if err != nil {
		return nil, err
	}
	defer stop()
	return conformance.RunServer(ctx, conformance.ServerConfig{
		URL:         url + "/",
		Agent:       p.agent,
		Cases:       cases,
		Parallel:    cfg.parallel,
		CaseTimeout: cfg.caseTimeout,
		Progress: func(r *conformance.Result) {
			if cfg.verbose {
				fmt.Fprintf(log, "  %s %-9s %s\n", p.name, r.ID, r.Result)
			}
		},
	})
}
