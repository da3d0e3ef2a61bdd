package conformance

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/internal/xconnect"
)

// quietLog drops an http.Server's log: the TLS handshakes and streams the
// suite ends abruptly (as it would close TCP) are not news.
var quietLog = log.New(io.Discard, "", 0)

// h2Requests counts what reached an HTTP/2 testee's handler, to tell a
// run over HTTP/2 from one that quietly fell back to HTTP/1.1.
type h2Requests struct {
	connects atomic.Int64 // HTTP/2 extended CONNECTs for websocket
	others   atomic.Int64 // other HTTP/2 requests
	http1    atomic.Int64 // requests over HTTP/1.x
}

// fastwsH2Echo serves echo with fastws.Upgrade on an HTTP/2 server over
// TLS on 127.0.0.1, with the options of fastwsEcho. It returns the wss://
// URL, the TLS configuration that trusts the server, and the counts.
func fastwsH2Echo(t *testing.T) (string, *tls.Config, *h2Requests) {
	opts := &fastws.AcceptOptions{
		CheckOrigin: func(string, string) bool { return true },
		Compression: &fastws.CompressionOptions{},
	}
	seen := &h2Requests{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.ProtoMajor != 2:
			seen.http1.Add(1)
		case r.Method == http.MethodConnect && r.Header.Get(":protocol") == "websocket":
			seen.connects.Add(1)
		default:
			seen.others.Add(1)
		}
		c, err := fastws.Upgrade(w, r, opts)
		if err != nil {
			return // refused, with its status
		}
		echoConn(c)
		// Over HTTP/2 the stream ends when the handler returns: wait for
		// the Conn to close (the closing handshake, or failing the
		// connection) so that the suite sees the end it should.
		<-c.Done()
	}))
	srv.EnableHTTP2 = true
	// Accept bounds the request head itself (the HTTP/1.1 testee's 431);
	// Upgrade leaves it to the http.Server, as its documentation says.
	srv.Config.MaxHeaderBytes = fastws.DefaultMaxHeaderBytes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	conf := srv.Client().Transport.(*http.Transport).TLSClientConfig
	return "wss://" + srv.Listener.Addr().String() + "/", conf, seen
}

// The server cases against fastws.Upgrade over HTTP/2 (RFC 8441), each
// WebSocket an extended CONNECT on an HTTP/2 connection of its own: the
// same cases and the same bar (no FAILED) as TestFastwsServer, the same
// subsets under
// -short and the race detector. The opening-handshake cases are played
// in their HTTP/2 form; those without one are NOT APPLICABLE, and
// nothing else may be.
func TestFastwsServerHTTP2(t *testing.T) {
	xconnect.Require(t)
	leakcheck.Check(t)
	url, conf, seen := fastwsH2Echo(t)
	cases := casesUnderTest(ServerMode)
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(10*time.Minute))
	defer cancel()
	cfg := runConfig(url, "fastws-h2", cases)
	cfg.HTTP2, cfg.TLSConfig = true, conf
	rep, err := RunServer(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkClean(t, rep)

	played, notApplicable := 0, 0
	for _, r := range rep.Results() {
		h, handshake := h2Handshakes[r.ID]
		want := handshake && h.notApplicable != ""
		if got := r.Result == NotApplicable; got != want {
			t.Errorf("%s: %s, want NOT APPLICABLE %v: %v", r.ID, r.Result, want, r.Observed.Notes)
		}
		switch {
		case r.Result == NotApplicable:
			notApplicable++
		case !handshake:
			played++
		}
	}
	if len(rep.Results()) != len(cases) {
		t.Errorf("%d results for %d cases", len(rep.Results()), len(cases))
	}
	// Every WebSocket case opened its stream with an extended CONNECT,
	// and nothing reached the server over HTTP/1.1.
	if n := seen.connects.Load(); n < int64(played) {
		t.Errorf("the server saw %d extended CONNECTs for %d WebSocket cases", n, played)
	}
	if n := seen.http1.Load(); n != 0 {
		t.Errorf("%d requests reached the server over HTTP/1.x", n)
	}
	if notApplicable > 0 && !strings.Contains(rep.SummaryLine(), "not applicable") {
		t.Errorf("the summary does not count the cases not played: %s", rep.SummaryLine())
	}
	var html strings.Builder
	if err := rep.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	if notApplicable > 0 && !strings.Contains(html.String(), `class="v not-applicable"`) {
		t.Error("the HTML report does not show the cases not played")
	}
}

// Every server-mode opening-handshake case has an HTTP/2 form or the
// reason it has none, and every form belongs to such a case: a new case
// in category 11 must say what it is over HTTP/2.
func TestH2HandshakeForms(t *testing.T) {
	ids := map[string]bool{}
	for _, c := range Cases(ServerMode) {
		if c.Handshake == nil {
			continue
		}
		ids[c.ID] = true
		h, ok := h2Handshakes[c.ID]
		switch {
		case !ok:
			t.Errorf("%s has no HTTP/2 form and no reason why not (h2Handshakes)", c.ID)
		case (h.run == nil) == (h.notApplicable == ""):
			t.Errorf("%s: an HTTP/2 form needs a run or a reason it does not apply, not both", c.ID)
		case h.run != nil && (h.description == "" || h.expectation == ""):
			t.Errorf("%s: the HTTP/2 form needs a description and an expectation", c.ID)
		}
	}
	for id := range h2Handshakes {
		if !ids[id] {
			t.Errorf("h2Handshakes has %s, which is no server-mode opening-handshake case", id)
		}
	}
}

// An HTTP/2 run against a server that does not pick h2 fails each case
// at once, saying why, rather than hanging or falling back to HTTP/1.1.
func TestRunServerHTTP2NeedsH2(t *testing.T) {
	leakcheck.Check(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached the HTTP/1.1 server: %s %s", r.Proto, r.Method)
	}))
	srv.Config.ErrorLog = quietLog // the suite hangs up after the TLS handshake
	srv.StartTLS()
	defer srv.Close()
	conf := srv.Client().Transport.(*http.Transport).TLSClientConfig
	cases := Select(Cases(ServerMode), "1.1.1,11.1.1", "")
	rep, err := RunServer(context.Background(), ServerConfig{
		URL: "wss://" + srv.Listener.Addr().String() + "/", Agent: "no-h2", Cases: cases,
		HTTP2: true, TLSConfig: conf, TimeScale: testtime.Scale(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results() {
		if r.Result != Failed || !strings.Contains(strings.Join(r.Observed.Notes, "\n"), "did not pick h2") {
			t.Errorf("%s: %s %v, want FAILED saying the server did not pick h2", r.ID, r.Result, r.Observed.Notes)
		}
	}
	if _, err := RunServer(context.Background(), ServerConfig{URL: "ws://127.0.0.1:1/", HTTP2: true}); err == nil {
		t.Error("an HTTP/2 run took a ws:// URL")
	}
}
