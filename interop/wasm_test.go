//go:build !js

package interop

import (
	"context"
	"fmt"
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

// TestWasmClientInChromium runs the fastws client compiled for js/wasm in
// headless Chromium: this package's browser tests (wasm_js_test.go: the
// echo list, subprotocols, the server's close codes, contexts, NextReader
// and NextWriter, Stream, and an error for each thing the browser cannot
// do) and package fastws's browser example. Both test binaries are built
// with one go test -c, served with Go's wasm_exec.js and a runner page
// (browser/wasm.html) by a fastws echo server, and run by one Chromium
// against that server. Every test, subtest and the example must have
// passed, by name, and each binary exited 0; the server's records of
// each connection must show what the browser sent (the close codes
// included).
func TestWasmClientInChromium(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingChromium()...)
	goTool, wasmExec := wasmToolchain(t)
	bins := t.TempDir()
	buildWasmTests(t, goTool, bins)

	e := newEchoServer(t, nil) // same-origin: the page comes from this server
	e.handleWS("/echo", e.serveWS(nil))
	e.handleWS("/ws/{name}", e.serveWasm)
	e.mux.HandleFunc("GET /wasm/{file}", func(w http.ResponseWriter, r *http.Request) {
		switch f := r.PathValue("file"); f {
		case "wasm.html", "wasm.js":
			http.ServeFile(w, r, filepath.Join("browser", f))
		case "wasm_exec.js":
			http.ServeFile(w, r, wasmExec)
		case "interop.test", "fastws.test":
			w.Header().Set("Content-Type", "application/wasm") // what instantiateStreaming takes
			http.ServeFile(w, r, filepath.Join(bins, f))
		default:
			http.NotFound(w, r)
		}
	})

	q := url.Values{
		"bin":     {"interop.test", "fastws.test"},
		"run":     {"^TestInBrowser", "^ExampleDial_browser$"},
		"timeout": {testtime.Limit(2 * time.Minute).String()},
	}
	if s := os.Getenv("FASTWS_TIME_SCALE"); s != "" {
		q.Set("scale", s)
	}
	profile := t.TempDir() // a new, empty --user-data-dir
	t.Cleanup(func() { killBrowserLeftovers(t, profile) })
	start := time.Now()
	rep, exitErr := runPeerClient(t, testtime.Limit(3*time.Minute), os.Environ(),
		"node", filepath.Join(nodeDir, "chromium-driver.js"), e.httpURL+"/wasm/wasm.html?"+q.Encode(), profile,
		fmt.Sprint(testtime.Limit(150*time.Second).Milliseconds()))
	t.Logf("Chromium ran the wasm tests in %v", time.Since(start).Round(time.Millisecond))
	want := append(wasmTests(), "ExampleDial_browser", "interop.test exit", "fastws.test exit")
	checkClientReport(t, rep, exitErr, want)
	checkEchoServerRecords(t, e, nil)
	checkWasmRecords(t, e)
}

// wasmToolchain returns the go command and Go's wasm_exec.js, or skips
// (fails, with FASTWS_REQUIRE_PEERS=1) naming what is missing.
func wasmToolchain(t *testing.T) (goTool, wasmExec string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		requirePeers(t, "the go command is not on PATH (it builds the wasm tests)")
	}
	out, err := exec.Command(goTool, "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	wasmExec = filepath.Join(strings.TrimSpace(string(out)), "lib", "wasm", "wasm_exec.js")
	if _, err := os.Stat(wasmExec); err != nil {
		requirePeers(t, wasmExec+" does not exist (Go 1.24 and later keep it in lib/wasm)")
	}
	return goTool, wasmExec
}

// buildWasmTests compiles the test binaries of package fastws and of this
// package for js/wasm into dir (fastws.test, interop.test), with one go
// command so that they build in parallel. The build cache makes a rebuild
// take about a second.
func buildWasmTests(t *testing.T, goTool, dir string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testtime.Limit(3*time.Minute))
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, goTool, "test", "-c", "-o", dir+string(filepath.Separator),
		"github.com/fastws/fastws", "github.com/fastws/fastws/interop")
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS="+withoutRace(os.Getenv("GOFLAGS")))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the wasm tests (GOOS=js GOARCH=wasm go test -c): %v\n%s", err, out)
	}
	t.Logf("built the wasm tests in %v", time.Since(start).Round(time.Millisecond))
}

// withoutRace is GOFLAGS without -race, which js/wasm does not have.
func withoutRace(flags string) string {
	var kept []string
	for _, f := range strings.Fields(flags) {
		if f != "-race" && f != "--race" && f != "-race=true" {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

// serveWasm serves /ws/NAME for the browser tests: the echo protocol,
// with a subprotocol on /ws/subprotocol and permessage-deflate on
// /ws/deflate; /ws/stall takes the connection and reads nothing until the
// test ends.
func (e *echoServer) serveWasm(w http.ResponseWriter, r *http.Request) {
	rec, end := e.begin(r)
	defer end()
	opts := &fastws.AcceptOptions{ConnOptions: fastws.ConnOptions{OnPing: rec.onPing}}
	switch r.PathValue("name") {
	case "subprotocol":
		opts.Subprotocols = []string{"fastws.v1"}
	case "deflate":
		opts.Compression = &fastws.CompressionOptions{}
	}
	c, err := fastws.Upgrade(w, r, opts)
	if err != nil {
		rec.fail(fmt.Errorf("Upgrade: %w", err))
		return
	}
	rec.mu.Lock()
	rec.extensions = c.Extensions()
	rec.mu.Unlock()
	if r.PathValue("name") == "stall" {
		<-e.ctx.Done()
		_ = c.CloseNow()
		return
	}
	e.echo(c, rec)
}

// checkWasmRecords checks the server's side of the browser tests'
// connections: each ended with the close the browser was asked to send
// (1005, no code, for the 1001 the browser may not send), or the close
// the server began completed its handshake; permessage-deflate was
// agreed where the server offered it; no Dial the browser refused reached
// the server.
func checkWasmRecords(t *testing.T, e *echoServer) {
	t.Helper()
	clientClosed := map[string]fastws.CloseCode{
		"/echo":             fastws.CloseNormal,
		"/ws/subprotocol":   fastws.CloseNormal,
		"/ws/deflate":       fastws.CloseNormal,
		"/ws/context":       fastws.CloseNormal,
		"/ws/nextreader":    fastws.CloseNormal,
		"/ws/stream-binary": fastws.CloseNormal,
		"/ws/stream-text":   fastws.CloseNormal,
		"/ws/unsupported":   fastws.CloseNormal,
		"/ws/close-1001":    fastws.CloseNoStatus,
	}
	serverClosed := map[string]string{}
	var paths []string
	for p := range clientClosed {
		paths = append(paths, p)
	}
	for _, c := range wasmServerCloses {
		p := "/ws/server-close-" + c.name
		serverClosed[p] = fmt.Sprintf("%d %s", c.code, c.reason)
		paths = append(paths, p)
	}
	recs := e.waitRecords(t, paths...)
	for path, code := range clientClosed {
		for _, r := range recs[path] {
			r.mu.Lock()
			if r.peerClose == nil || r.peerClose.Code != code {
				t.Errorf("echo server: %s ended with %v (read error %v), want the client's close %d", path, r.peerClose, r.readErr, code)
			}
			for _, err := range r.errs {
				t.Errorf("echo server: %s: %v", path, err)
			}
			r.mu.Unlock()
		}
	}
	for path, want := range serverClosed {
		for _, r := range recs[path] {
			r.mu.Lock()
			if r.ourClose != want || r.closeErr != nil {
				t.Errorf("echo server: %s: our close %q returned %v; want %q and a completed handshake", path, r.ourClose, r.closeErr, want)
			}
			r.mu.Unlock()
		}
	}
	for _, r := range recs["/ws/deflate"] {
		r.mu.Lock()
		if !strings.HasPrefix(r.extensions, "permessage-deflate") {
			t.Errorf("echo server: /ws/deflate agreed %q, want permessage-deflate", r.extensions)
		}
		r.mu.Unlock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, r := range e.records {
		if r.path == "/ws/never" {
			t.Errorf("echo server: a Dial the browser must refuse reached the server")
		}
	}
}

// wasmTests are the tests of wasm_js_test.go with their subtests, as
// their --- PASS lines name them: all must pass, and no other may run.
func wasmTests() []string {
	tests := []string{"TestInBrowserEchoList"}
	for _, it := range wasmEchoList() {
		tests = append(tests, "TestInBrowserEchoList/"+it.name)
	}
	tests = append(tests,
		"TestInBrowserSubprotocol",
		"TestInBrowserDeflate",
		"TestInBrowserServerClose")
	for _, c := range wasmServerCloses {
		tests = append(tests, "TestInBrowserServerClose/"+c.name)
	}
	tests = append(tests,
		"TestInBrowserContext",
		"TestInBrowserContext/deadline-exceeded",
		"TestInBrowserContext/cancelled",
		"TestInBrowserContext/read-deadline",
		"TestInBrowserContext/write-cancelled-before",
		"TestInBrowserWriteBoundedByContext",
		"TestInBrowserNextReaderWriter",
		"TestInBrowserStream",
		"TestInBrowserStream/binary",
		"TestInBrowserStream/text-lines",
		"TestInBrowserUnsupported")
	for _, name := range wasmUnsupported {
		tests = append(tests, "TestInBrowserUnsupported/"+name)
	}
	return tests
}

// wasmUnsupported are the subtests of TestInBrowserUnsupported: each
// calls something the browser cannot do and expects an error that says so.
var wasmUnsupported = []string{
	"ReadFrame", "WriteFrame", "Ping", "Close-1001",
	"DialOptions.Header", "DialOptions.Compression", "DialOptions.Extensions",
	"DialOptions.TLSConfig", "DialOptions.HTTP2-Off", "DialOptions.HTTP2-Only",
	"DialOptions.Proxy", "DialOptions.NetDial", "DialOptions.FollowRedirects",
	"Accept", "Upgrade", "Server.Serve", "Server.ServeHTTP",
}
