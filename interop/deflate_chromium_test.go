package interop

import (
	"errors"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
)

// The variants a fastws server imposes on Chromium, which offers
// "permessage-deflate; client_max_window_bits" and accepts whatever a
// server may answer to that.
var chromiumVariants = []deflateVariant{
	{name: "defaults", want: "permessage-deflate", full: true, big: true},
	{name: "server-no-context-takeover-window-10", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true, ServerMaxWindowBits: 10},
		want: "permessage-deflate; server_no_context_takeover; server_max_window_bits=10"},
	{name: "client-no-context-takeover-window-9", fastws: fastws.CompressionOptions{ClientNoContextTakeover: true, ClientMaxWindowBits: 9},
		want: "permessage-deflate; client_no_context_takeover; client_max_window_bits=9"},
	{name: "server-window-8-compress-everything", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 8, Threshold: -1},
		want: "permessage-deflate; server_max_window_bits=8"},
}

// TestChromiumToFastwsServerDeflate has headless Chromium load
// browser/index.html?variants=... from a fastws server with
// permessage-deflate and run the browser's deflate list once per variant
// of chromiumVariants (one page, one browser), then checks, variant by
// variant, the page's report, the ws.extensions it saw, and what the
// server saw and negotiated.
func TestChromiumToFastwsServerDeflate(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingChromium()...)
	e := newEchoServer(t, nil) // same-origin: the page comes from this server
	e.mux.Handle("GET /", http.FileServer(http.Dir("browser")))
	q := url.Values{}
	var names, full, big []string
	for _, v := range chromiumVariants {
		e.addVariant("/"+v.name, &v.fastws)
		names = append(names, v.name)
		if v.full {
			full = append(full, v.name)
		}
		if v.big {
			big = append(big, v.name)
		}
	}
	q.Set("variants", strings.Join(names, ","))
	q.Set("full", strings.Join(full, ","))
	q.Set("big", strings.Join(big, ","))
	profile := t.TempDir() // a new, empty --user-data-dir
	t.Cleanup(func() { killBrowserLeftovers(t, profile) })
	rep, exitErr := runPeerClient(t, testtime.Limit(3*time.Minute), os.Environ(),
		"node", filepath.Join(nodeDir, "chromium-driver.js"), e.httpURL+"/?"+q.Encode(), profile, "170000")
	failed := false
	for _, v := range chromiumVariants {
		prefix := "/" + v.name
		sub := clientReport{Peer: rep.Peer, Connections: rep.Connections}
		for _, r := range rep.Results {
			if name, ok := strings.CutPrefix(r.Name, v.name+"/"); ok {
				r.Name = name
				sub.Results = append(sub.Results, r)
				failed = failed || !r.Pass
			}
		}
		t.Run(v.name, func(t *testing.T) {
			checkReportItems(t, sub, deflateListNames(v.full, v.big, true))
			checkClientNegotiations(t, sub, prefix, v.want, false)
			checkEchoServerRecordsAt(t, e, prefix, nil)
			checkServerDeflate(t, e, prefix, v.want)
		})
	}
	var ee *exec.ExitError
	if failed != (exitErr != nil) || exitErr != nil && !errors.As(exitErr, &ee) {
		t.Errorf("the page reported failures: %v, and the driver ended with %v", failed, exitErr)
	}
}
