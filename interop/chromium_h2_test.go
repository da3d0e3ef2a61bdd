package interop

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testcert"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/internal/xconnect"
)

// TestChromiumOverHTTP2 has headless Chromium load browser/index.html
// over HTTPS from a fastws server that offers HTTP/2 with extended
// CONNECT, and run the browser's echo list, then the deflate list with
// fastws's default compression, against it. Every WebSocket must have
// reached the server as an HTTP/2 extended CONNECT: Chromium opens them
// as streams of the page's connection.
func TestChromiumOverHTTP2(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingChromium()...)
	xconnect.Require(t)
	cert, err := testcert.New(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	spki := testcert.SPKIHash(cert.Leaf)
	e := startEchoServer(t, nil, &cert) // same-origin: the page comes from this server
	e.mux.Handle("GET /", http.FileServer(http.Dir("browser")))
	v := chromiumVariants[0]
	e.addVariant("/"+v.name, &v.fastws)
	env := append(os.Environ(), "FASTWS_SPKI="+spki)
	driver := filepath.Join(nodeDir, "chromium-driver.js")

	t.Run("plain", func(t *testing.T) {
		profile := t.TempDir()
		t.Cleanup(func() { killBrowserLeftovers(t, profile) })
		rep, exitErr := runPeerClient(t, testtime.Limit(2*time.Minute), env, "node", driver, e.httpURL+"/", profile, "100000")
		checkClientReport(t, rep, exitErr, browserListNames())
		checkEchoServerRecords(t, e, nil)
	})
	t.Run("deflate", func(t *testing.T) {
		profile := t.TempDir()
		t.Cleanup(func() { killBrowserLeftovers(t, profile) })
		q := url.Values{"variants": {v.name}, "full": {v.name}}
		rep, exitErr := runPeerClient(t, testtime.Limit(2*time.Minute), env, "node", driver, e.httpURL+"/?"+q.Encode(), profile, "100000")
		var sub clientReport
		sub.Peer, sub.Connections = rep.Peer, rep.Connections
		for _, r := range rep.Results {
			if name, ok := strings.CutPrefix(r.Name, v.name+"/"); ok {
				r.Name = name
				sub.Results = append(sub.Results, r)
			}
		}
		checkClientReport(t, sub, exitErr, deflateListNames(v.full, false, true))
		checkClientNegotiations(t, sub, "/"+v.name, v.want, false)
		checkEchoServerRecordsAt(t, e, "/"+v.name, nil)
		checkServerDeflate(t, e, "/"+v.name, v.want)
	})

	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.records) == 0 {
		t.Fatal("the server saw no WebSocket")
	}
	for _, r := range e.records {
		r.mu.Lock()
		if r.request != "HTTP/2.0 CONNECT" {
			t.Errorf("%s was opened with %q, want an HTTP/2.0 CONNECT", r.path, r.request)
		}
		r.mu.Unlock()
	}
}
