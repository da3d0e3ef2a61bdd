package main

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
)

// fakeSuite speaks the conformance server's side of the testee protocol:
// two cases, each sending one message that must come back unchanged.
type fakeSuite struct {
	mu      sync.Mutex
	echoed  map[int]bool
	reports bool
	agent   string
}

func (s *fakeSuite) handler(w http.ResponseWriter, r *http.Request) {
	c, err := fastws.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ctx := context.Background()
	switch r.URL.Path {
	case "/getCaseCount":
		c.WriteMessage(ctx, fastws.Text, []byte("2"))
		c.Close(fastws.CloseNormal, "")
	case "/runCase":
		n, _ := strconv.Atoi(r.URL.Query().Get("case"))
		want := strings.Repeat("case", n)
		c.WriteMessage(ctx, fastws.Text, []byte(want))
		typ, got, err := c.ReadMessage(ctx)
		s.mu.Lock()
		s.echoed[n] = err == nil && typ == fastws.Text && string(got) == want
		s.agent = r.URL.Query().Get("agent")
		s.mu.Unlock()
		c.Close(fastws.CloseNormal, "")
	case "/updateReports":
		s.mu.Lock()
		s.reports = true
		s.mu.Unlock()
		c.Close(fastws.CloseNormal, "")
	}
}

func TestTesteeClient(t *testing.T) {
	leakcheck.Check(t)
	suite := &fakeSuite{echoed: map[int]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(suite.handler)}
	go srv.Serve(ln)
	defer srv.Close()
	var out, errOut syncBuffer
	code := run([]string{"testee-client", "-url", "ws://" + ln.Addr().String(), "-agent", "me"}, nil, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	suite.mu.Lock()
	defer suite.mu.Unlock()
	if !suite.echoed[1] || !suite.echoed[2] || !suite.reports || suite.agent != "me" {
		t.Fatalf("echoed %v, reports %v, agent %q; output %q", suite.echoed, suite.reports, suite.agent, out.String())
	}
}
