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
// developer can rerun a few.
func casesUnderTest(mode Mode) []*Case {
	cases := Cases(mode)
	if p := os.Getenv("FASTWS_CONFORMANCE_CASES"); p != "" {
		return Select(cases, p, "")
	}
	if testing.Short() {
		return Select(cases, "*", "9.*")
	}
	return cases
}

func TestFastwsServer(t *testing.T) {
	leakcheck.Check(t)
	rep, err := RunServer(context.Background(), ServerConfig{
		URL: fastwsEcho(t) + "/", Agent: "fastws", Cases: casesUnderTest(ServerMode), Parallel: 4,
	})
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
	rep, err := RunServer(context.Background(), ServerConfig{
		URL: url + "/", Agent: "fastws-handle", Cases: Select(casesUnderTest(ServerMode), "*", "12.*,13.*"), Parallel: 4,
	})
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
	suite := &ClientSuite{Cases: casesUnderTest(ClientMode)}
	done := make(chan *Report, 1)
	suite.OnReport = func(r *Report) { done <- r }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: suite}
	go srv.Serve(ln)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
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
