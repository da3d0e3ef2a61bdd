//go:build !js

package fastws

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/internal/xconnect"
)

// plainH2Helper is set in the environment of the test binary run as a
// server by TestDialHTTP2WithoutExtendedConnect.
const plainH2Helper = "FASTWS_PLAIN_H2_SERVER"

// servePlainH2 is the test binary run as a server by
// TestDialHTTP2WithoutExtendedConnect, in a process without extended
// CONNECT: it serves echo over TLS with HTTP/2 on, like most Go servers
// today, and reports on stdout its URL, its certificate and each request
// ("req HTTP/1.1 GET"), until its stdin closes.
func servePlainH2() int {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("req " + r.Proto + " " + r.Method)
		c, err := Upgrade(w, r, nil)
		if err != nil {
			return
		}
		<-echo(c)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	fmt.Printf("url wss%s\ncert %s\n", strings.TrimPrefix(srv.URL, "https"), base64.StdEncoding.EncodeToString(srv.Certificate().Raw))
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// TestDialHTTP2WithoutExtendedConnect dials a server that picks h2 in
// ALPN but does not advertise extended CONNECT: HTTP2Auto falls back to
// HTTP/1.1 on a second connection and remembers, so the next Dial goes
// straight to HTTP/1.1; HTTP2Only fails, saying why.
func TestDialHTTP2WithoutExtendedConnect(t *testing.T) {
	leakcheck.Check(t)
	exe, err := os.Executable()
	if err != nil {
		t.Skip("cannot find the test binary to run the server:", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(xconnect.Without(), plainH2Helper+"=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(testtime.Limit(20 * time.Second)):
			t.Fatal("the helper server said nothing")
			return ""
		}
	}
	url := strings.TrimPrefix(next(), "url ")
	der, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(next(), "cert "))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	cfg := &tls.Config{RootCAs: roots}
	ctx := testCtx(t)

	_, _, err = Dial(ctx, url, &DialOptions{TLSConfig: cfg, HTTP2: HTTP2Only})
	if !extendedConnectRefused(err) || !errors.Is(err, ErrHTTP2Unavailable) {
		t.Fatalf("HTTP2Only: %v; want net/http's extended CONNECT refusal (has its wording changed?)", err)
	}
	for i := range 2 {
		c, resp, err := Dial(ctx, url, &DialOptions{TLSConfig: cfg})
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 1 {
			t.Errorf("dial %d answered over %s", i, resp.Proto)
		}
		roundTrips(t, ctx, c)
		c.Close(CloseNormal, "")
		if got := next(); got != "req HTTP/1.1 GET" {
			t.Fatalf("dial %d: server saw %q", i, got)
		}
	}
	if !h2PoolFor(&DialOptions{TLSConfig: cfg}).refusedRecently(strings.TrimPrefix(url, "wss://")) {
		t.Error("the refusal was not remembered")
	}
}
