package interop

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/leakcheck"
	"github.com/fastws/fastws/internal/testtime"
	"github.com/fastws/fastws/internal/xconnect"
)

// testCertificate makes a self-signed certificate for 127.0.0.1, valid
// for an hour, and returns it with the base64 SHA-256 of its public key,
// which Chromium's --ignore-certificate-errors-spki-list trusts.
func testCertificate(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fastws interop"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	spki := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, base64.StdEncoding.EncodeToString(spki[:])
}

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
	cert, spki := testCertificate(t)
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
