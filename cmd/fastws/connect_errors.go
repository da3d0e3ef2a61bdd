package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/wsframe"
)

// The exit statuses of fastws connect, as its usage lists them.
const (
	exitNormal    = 0
	exitPeerClose = 1
	exitUsage     = 2
	exitRefused   = 3
	exitNetwork   = 4
	exitProtocol  = 5
	exitTimeout   = 6
)

// failure is how the connection ended, as one line for a person (and, for
// a refused handshake, the details of the answer) and an exit status.
type failure struct {
	status  int
	line    string
	details string
}

// dialFailure explains an error from Dial: what happened, in words that
// do not need the error chain, and what to try.
func dialFailure(rawURL string, timeout string, err error) failure {
	host := rawURL
	if u, perr := url.Parse(rawURL); perr == nil {
		host = u.Host
	}
	var (
		he      *fastws.HandshakeError
		dnsErr  *net.DNSError
		unknown x509.UnknownAuthorityError
		badHost x509.HostnameError
		invalid x509.CertificateInvalidError
		verify  *tls.CertificateVerificationError
		record  tls.RecordHeaderError
		alert   tls.AlertError
		ue      usageError
	)
	switch {
	case errors.As(err, &ue):
		return failure{status: exitUsage, line: ue.Error()}
	case errors.As(err, &he):
		return refusal(he)
	case errors.Is(err, fastws.ErrHTTP2Unavailable):
		return failure{status: exitRefused, line: fmt.Sprintf("%s does not offer WebSockets over HTTP/2 (%s): drop -http2 only to let it use HTTP/1.1", host, innermost(err))}
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return failure{status: exitNetwork, line: fmt.Sprintf("cannot find the host %q (no such host): check the URL's host name", dnsErr.Name)}
		}
		if dnsErr.IsTimeout {
			return failure{status: exitTimeout, line: fmt.Sprintf("looking up the host %q timed out: check the network and DNS", dnsErr.Name)}
		}
		return failure{status: exitNetwork, line: fmt.Sprintf("cannot look up the host %q: %s", dnsErr.Name, dnsErr.Err)}
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure{status: exitNetwork, line: fmt.Sprintf("nothing accepts connections at %s (connection refused): is the server running, on this port?", host)}
	case errors.As(err, &badHost):
		return failure{status: exitNetwork, line: fmt.Sprintf("TLS: the server's certificate is not for %s (%s): connect with the name it is for, or -insecure to skip the check", badHost.Host, badHost.Error())}
	case errors.As(err, &unknown), errors.As(err, &invalid), errors.As(err, &verify):
		return failure{status: exitNetwork, line: "TLS: the server's certificate is not trusted (" + innermost(err) + "): pass its authority with -cacert FILE, or -insecure to skip the check"}
	case errors.As(err, &record):
		return failure{status: exitNetwork, line: fmt.Sprintf("TLS: %s does not speak TLS: use ws:// for a server without TLS", host)}
	case errors.As(err, &alert):
		return failure{status: exitNetwork, line: fmt.Sprintf("TLS: the server at %s refused the TLS handshake (%s)", host, innermost(err))}
	case isTimeout(err):
		return failure{status: exitTimeout, line: fmt.Sprintf("no WebSocket answer from %s within %s: is the server up and is it a WebSocket server? (-connect-timeout sets the time)", host, timeout)}
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return failure{status: exitNetwork, line: fmt.Sprintf("%s closed the connection during the handshake: is it a WebSocket server, and is the scheme (ws or wss) right?", host)}
	}
	return failure{status: exitNetwork, line: fmt.Sprintf("cannot connect to %s: %s", host, innermost(err))}
}

// refusal describes an answer other than a WebSocket upgrade: the status
// line, the headers that say why, and the start of the body.
func refusal(he *fastws.HandshakeError) failure {
	f := failure{status: exitRefused}
	if he.StatusCode == http.StatusSwitchingProtocols {
		f.line = "the server's handshake answer is not valid: " + he.Reason
		return f
	}
	f.line = fmt.Sprintf("the server refused the WebSocket handshake: HTTP %d %s", he.StatusCode, http.StatusText(he.StatusCode))
	switch {
	case he.StatusCode == http.StatusNotFound:
		f.line += ": check the URL's path"
	case he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden:
		f.line += ": the server wants credentials or another Origin (-H 'Authorization: ...', -origin)"
	case he.StatusCode >= 300 && he.StatusCode < 400:
		f.line += ": the server redirects; connect to the Location below"
	case he.StatusCode == http.StatusUpgradeRequired || he.StatusCode == http.StatusBadRequest:
		f.line += ": it may not serve WebSockets at this path"
	}
	var sb strings.Builder
	keys := make([]string, 0, len(he.Header))
	for k := range he.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if telling(k) {
			fmt.Fprintf(&sb, "  %s: %s\n", k, strings.Join(he.Header[k], ", "))
		}
	}
	if len(he.Body) > 0 {
		body := he.Body
		if len(body) > 512 {
			body = body[:512]
		}
		fmt.Fprintf(&sb, "  body: %s\n", printable(body))
	}
	f.details = sb.String()
	return f
}

// telling reports the response headers that explain a refusal.
func telling(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Type", "Location", "Retry-After", "Server", "Upgrade", "Connection",
		"Sec-Websocket-Version", "Www-Authenticate", "Proxy-Authenticate", "Allow":
		return true
	}
	return false
}

// printable quotes what would disturb a terminal, keeping UTF-8 text as
// it is.
func printable(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&sb, `\x%02x`, b[0])
		case r == '\n':
			sb.WriteString(`\n`)
		case r < ' ' || r == 0x7f:
			fmt.Fprintf(&sb, `\x%02x`, r)
		default:
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return strings.TrimSuffix(sb.String(), `\n`)
}

// endFailure explains how an established connection ended, from the
// reader's last error. sentClose says whether this side began the close.
func endFailure(err error) failure {
	var (
		ce *fastws.CloseError
		pe *wsframe.ProtocolError
	)
	switch {
	case errors.As(err, &ce) && ce.Code == fastws.CloseAbnormal:
		return failure{status: exitNetwork, line: "the connection dropped without a close frame (1006)"}
	case errors.As(err, &ce):
		switch ce.Code {
		case fastws.CloseNormal, fastws.CloseGoingAway, fastws.CloseNoStatus:
			return failure{status: exitNormal}
		case fastws.CloseProtocolError, fastws.CloseUnsupportedData, fastws.CloseInvalidPayload,
			fastws.CloseMessageTooBig, fastws.CloseMandatoryExtension:
			return failure{status: exitProtocol, line: "the server closed with " + closeText(ce.Code, ce.Reason) + ": it says we broke the protocol"}
		}
		return failure{status: exitPeerClose, line: "the server closed with " + closeText(ce.Code, ce.Reason)}
	case errors.As(err, &pe):
		return failure{status: exitProtocol, line: fmt.Sprintf("the server broke the protocol (%s): closed with %s", pe.Rule, pe.Code)}
	case errors.Is(err, fastws.ErrClosed):
		return failure{status: exitTimeout, line: "the server did not answer the close frame in time"}
	case isTimeout(err):
		return failure{status: exitTimeout, line: "timed out: " + innermost(err)}
	}
	return failure{status: exitNetwork, line: "the connection failed: " + innermost(err)}
}

// closeText is a close code with its name and reason: 1011 (internal
// error) "out of memory".
func closeText(code fastws.CloseCode, reason string) string {
	s := code.String()
	if reason != "" {
		s += fmt.Sprintf(" %q", reason)
	}
	return s
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}

// innermost is the message of the deepest error in a chain: what went
// wrong without the layers that say where (fastws: Dial: TLS handshake:
// tls: ...). A joined error gives its first.
func innermost(err error) string {
	for {
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			if next := u.Unwrap(); next != nil {
				err = next
				continue
			}
		case interface{ Unwrap() []error }:
			if errs := u.Unwrap(); len(errs) > 0 {
				err = errs[0]
				continue
			}
		}
		// The library's own prefixes say where, which the command's
		// line already says.
		msg := strings.TrimPrefix(err.Error(), "fastws: ")
		return strings.TrimPrefix(msg, "websocket: ")
	}
}
