package conformance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// fastwsEcho serves echo with fastws's raw Accept path on 127.0.0.1.
func fastwsEcho(t *testing.T) string {
	return serveEcho(t, &fastws.AcceptOptions{
		CheckOrigin: func(string, string) bool { return true },
		Compression: &fastws.CompressionOptions{},
	}, echoConn)
}

// serveEcho serves echo with fastws's raw Accept path on 127.0.0.1, each
// connection by serve.
func serveEcho(t *testing.T, opts *fastws.AcceptOptions, serve func(*fastws.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c, err := fastws.Accept(nc, opts)
				if err != nil {
					return
				}
				serve(c)
			}()
		}
	}()
	return "ws://" + ln.Addr().String()
}

func echoConn(c *fastws.Conn) {
	ctx := context.Background()
	var buf []byte
	for {
		typ, msg, err := c.AppendMessage(ctx, buf[:0])
		if err != nil {
			return
		}
		if c.WriteMessage(ctx, typ, msg) != nil {
			return
		}
		buf = msg
	}
}

// casesUnderTest is every case, or FASTWS_CONFORMANCE_CASES when set, so a
// developer can rerun a few. Under the race detector, which checks
// concurrency rather than volume, the categories that move much data (9,
// 12 and 13) are represented by the first case of each group (the
// smallest) and the first fragmented compressed one; make test runs all of
// them without the detector. -short leaves category 9 out.
func casesUnderTest(mode Mode) []*Case {
	cases := Cases(mode)
	if p := os.Getenv("FASTWS_CONFORMANCE_CASES"); p != "" {
		return Select(cases, p, "")
	}
	if testtime.Race {
		cases = volumeSlice(cases)
	}
	if testing.Short() {
		return Select(cases, "*", "9.*")
	}
	return cases
}

// volumeSlice keeps every case but those of the categories that move
// much data (9, 12 and 13), which it represents by the first case of
// each group (the smallest) and the first fragmented compressed one.
func volumeSlice(cases []*Case) []*Case {
	var slice []*Case
	for _, c := range cases {
		if !matchAny("9.*,12.*,13.*", c.ID, false) || matchAny("9.*.1,12.*.1,13.*.1,12.1.11", c.ID, false) {
			slice = append(slice, c)
		}
	}
	return slice
}

// runConfig is the run of cases against a testee server at url, with
// time limits for this run (race detector, FASTWS_TIME_SCALE) and as
// many cases at once as the CPUs allow.
func runConfig(url, agent string, cases []*Case) ServerConfig {
	return ServerConfig{URL: url, Agent: agent, Cases: cases, TimeScale: testtime.Scale()}
}

func TestFastwsServer(t *testing.T) {
	leakcheck.Check(t)
	rep, err := RunServer(context.Background(), runConfig(fastwsEcho(t)+"/", "fastws", casesUnderTest(ServerMode)))
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, rep)
}

// HandleMessages' fast path against the server cases, without
// permessage-deflate, which would send every message down the ordinary
// path (categories 12 and 13 are left out for that reason).
func TestFastwsServerHandleMessages(t *testing.T) {
	leakcheck.Check(t)
	url := serveEcho(t, &fastws.AcceptOptions{CheckOrigin: func(string, string) bool { return true }}, func(c *fastws.Conn) {
		ctx := context.Background()
		_ = c.HandleMessages(ctx, func(typ fastws.MessageType, msg []byte) error {
			return c.WriteMessage(ctx, typ, msg)
		})
	})
	rep, err := RunServer(context.Background(), runConfig(url+"/", "fastws-handle", Select(casesUnderTest(ServerMode), "*", "12.*,13.*")))
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, rep)
}

// testeeClient is a minimal testee client: the protocol `fastws
// testee-client` implements, for testing the suite in client mode.
func testeeClient(ctx context.Context, base, agent string) error {
	c, _, err := fastws.Dial(ctx, base+"/getCaseCount", nil)
	if err != nil {
		return err
	}
	_, msg, err := c.ReadMessage(ctx)
	if err != nil {
		return err
	}
	c.Close(fastws.CloseNormal, "")
	n, err := strconv.Atoi(string(msg))
	if err != nil {
		return err
	}
	for i := 1; i <= n; i++ {
		u := base + "/runCase?case=" + strconv.Itoa(i) + "&agent=" + url.QueryEscape(agent)
		c, _, err := fastws.Dial(ctx, u, &fastws.DialOptions{Compression: &fastws.CompressionOptions{}})
		if err != nil {
			continue // handshake cases refuse on purpose
		}
		echoConn(c)
		c.CloseNow()
	}
	c, _, err = fastws.Dial(ctx, base+"/updateReports?agent="+url.QueryEscape(agent), nil)
	if err != nil {
		return err
	}
	for {
		if _, _, err := c.ReadMessage(ctx); err != nil {
			var ce *fastws.CloseError
			if errors.As(err, &ce) {
				return nil
			}
			return err
		}
	}
}

func TestFastwsClient(t *testing.T) {
	leakcheck.Check(t)
	suite := &ClientSuite{Cases: casesUnderTest(ClientMode), TimeScale: testtime.Scale()}
	done := make(chan *Report, 1)
	suite.OnReport = func(r *Report) { done <- r }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: suite}
	go srv.Serve(ln)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(10*time.Minute))
	defer cancel()
	if err := testeeClient(ctx, "ws://"+ln.Addr().String(), "fastws"); err != nil {
		t.Fatal(err)
	}
	checkClean(t, <-done)
}

// checkClean fails the test for every FAILED case and logs the summary.
func checkClean(t *testing.T, rep *Report) {
	t.Helper()
	var sb strings.Builder
	rep.WriteSummary(&sb)
	t.Log("\n" + sb.String())
	if rep.Failed() > 0 {
		t.Errorf("%d cases failed", rep.Failed())
	}
}

// A case that runs out of time says how far it got, so that a slow run can
// be told from a stuck testee.
func TestSlowCaseReportsProgress(t *testing.T) {
	leakcheck.Check(t)
	// The testee echoes two messages, then reads on without answering.
	url := serveEcho(t, &fastws.AcceptOptions{CheckOrigin: func(string, string) bool { return true }}, func(c *fastws.Conn) {
		ctx := context.Background()
		for i := 0; ; i++ {
			typ, msg, err := c.ReadMessage(ctx)
			if err != nil {
				return
			}
			if i < 2 && c.WriteMessage(ctx, typ, msg) != nil {
				return
			}
		}
	})
	stuck := &Case{ID: "99.1.1", Modes: ServerMode, Timeout: 500 * time.Millisecond,
		Run: func(s *Session) {
			var want []Event
			for range 5 {
				want = append(want, Text("x"))
			}
			s.Expect(OK, want...)
			s.ExpectClose(normalClose)
			for range 5 {
				s.SendMessage(opText, []byte("x"))
			}
			s.WaitEvents(5, time.Minute) // the runner's limit ends it first
		}}
	rep, err := RunServer(context.Background(), ServerConfig{URL: url + "/", Agent: "stuck", Cases: []*Case{stuck}})
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results()[0]
	if r.Result != Failed {
		t.Fatalf("result %v, want FAILED", r.Result)
	}
	notes := strings.Join(r.Observed.Notes, "\n")
	if !strings.Contains(notes, "did not finish within 500ms: 2 of 5 expected events arrived") {
		t.Errorf("the notes do not say how far the case got:\n%s", notes)
	}
}
