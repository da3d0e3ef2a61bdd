package main

import (
	"context"
	"io"
	"net/http"

	"github.com/fastws/fastws/bench/conformance/testee"
	"github.com/fastws/fastws/conformance"
)

// peer is one testee: a server (handler set) or a client (client set).
// Its reports are filed under agent, so a server's files are
// <agent>-server.* and a client's <agent>-client.*.
type peer struct {
	name    string // as given to -testees
	agent   string
	handler func() http.Handler
	client  testee.Client
}

// peers lists the testees in the order they run.
var peers = []peer{
	{name: "gorilla-autobahn-server", agent: "gorilla-autobahn", handler: testee.GorillaAutobahnServer},
	{name: "gorilla-plain-server", agent: "gorilla-plain", handler: testee.GorillaPlainServer},
	{name: "coder-server", agent: "coder", handler: testee.CoderServer},
	{name: "gorilla-client", agent: "gorilla", client: testee.GorillaClient{}},
	{name: "coder-client", agent: "coder", client: testee.CoderClient{}},
}

func testeeNames() []string {
	var names []string
	for _, p := range peers {
		names = append(names, p.name)
	}
	return names
}

func testeeByName(name string) (peer, bool) {
	for _, p := range peers {
		if p.name == name {
			return p, true
		}
	}
	return peer{}, false
}

// mode is the suite mode the testee is run in.
func (p peer) mode() conformance.Mode {
	if p.handler != nil {
		return conformance.ServerMode
	}
	return conformance.ClientMode
}

// run runs the selected cases against the testee and returns its report.
func (p peer) run(ctx context.Context, cfg config, log io.Writer) (*conformance.Report, error) {
	cases := conformance.Select(conformance.Cases(p.mode()), cfg.cases, cfg.exclude)
	if p.handler != nil {
		return runServer(ctx, p, cases, cfg, log)
	}
	return runClient(ctx, p, cases, cfg, log)
}
