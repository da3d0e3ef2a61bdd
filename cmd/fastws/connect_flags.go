package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/fastws/fastws"
)

// connectFlags are the flags of fastws connect, named as websocat and
// wscat users expect them.
type connectFlags struct {
	url          string
	headers      headerFlag
	subprotocols listFlag
	origin       string
	compress     bool
	http2        string
	binary       bool
	nul          bool
	show         string
	showControl  bool
	timestamps   bool
	jsonl        bool
	pingInterval time.Duration
	maxMessage   byteSize
	insecure     bool
	cacert       string
	proxy        string
	timeout      time.Duration
	exitAfter    int
	quiet        bool
	linger       time.Duration
}

func (f *connectFlags) register(fs *flag.FlagSet) {
	f.maxMessage = fastws.DefaultMaxMessageSize
	fs.Var(&f.headers, "H", "request header 'Name: value' (repeatable)")
	fs.Var(&f.subprotocols, "subprotocol", "subprotocol to offer (repeatable, or comma-separated; most preferred first)")
	fs.StringVar(&f.origin, "origin", "", "Origin header to send")
	fs.BoolVar(&f.compress, "compress", true, "offer permessage-deflate")
	fs.StringVar(&f.http2, "http2", "auto", "wss: auto (HTTP/2 where the server offers WebSockets over it, RFC 8441), off or only")
	fs.BoolVar(&f.binary, "binary", false, "send binary messages: in pipe mode, each chunk read from stdin as one message")
	fs.BoolVar(&f.nul, "0", false, "pipe mode: messages on stdin end with a NUL byte, not a newline")
	fs.StringVar(&f.show, "show", "text", "how to print message payloads: text, hex or base64")
	fs.BoolVar(&f.showControl, "show-control", false, "print pings, pongs and close frames with their codes")
	fs.BoolVar(&f.timestamps, "timestamps", false, "print the time before each message")
	fs.BoolVar(&f.jsonl, "jsonl", false, "print one JSON object per event (time, direction, type, size, payload)")
	fs.DurationVar(&f.pingInterval, "ping-interval", 0, "send a ping this often (0: never)")
	fs.Var(&f.maxMessage, "max-message", "largest message accepted and longest message sent (bytes, or with KiB/MiB/GiB)")
	fs.BoolVar(&f.insecure, "insecure", false, "wss: do not verify the server's certificate")
	fs.StringVar(&f.cacert, "cacert", "", "wss: PEM file of the certificate authorities to trust instead of the system's")
	fs.StringVar(&f.proxy, "proxy", "", "HTTP proxy URL to tunnel through (default: $HTTPS_PROXY / $HTTP_PROXY)")
	fs.DurationVar(&f.timeout, "connect-timeout", 10*time.Second, "time allowed for connecting and the handshake")
	fs.IntVar(&f.exitAfter, "exit-after", 0, "close (1000) after receiving this many messages (0: no limit)")
	fs.DurationVar(&f.linger, "linger", 500*time.Millisecond, "pipe mode: after stdin ends, wait until the server has been quiet this long before closing (0: close at once)")
	fs.BoolVar(&f.quiet, "q", false, "pipe mode: say nothing on stderr when connected or interrupted, only errors")
}

// parse reads args, which may put flags after the URL as wscat users do
// (fastws connect ws://host/ -H 'X: y').
func (f *connectFlags) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	var rest []string
	for fs.NArg() > 0 {
		rest = append(rest, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return err
		}
	}
	switch {
	case len(rest) == 0:
		return usageError("want the server's URL, as in fastws connect ws://127.0.0.1:8080/echo")
	case len(rest) > 1:
		return usageError(fmt.Sprintf("unexpected argument %q after the URL: messages come from stdin, not from the command line", rest[1]))
	}
	f.url = rest[0]
	switch f.show {
	case "text", "hex", "base64":
	default:
		return usageError(fmt.Sprintf("-show %q: want text, hex or base64", f.show))
	}
	if _, ok := http2Modes[f.http2]; !ok {
		return usageError(fmt.Sprintf("-http2 %q: want auto, off or only", f.http2))
	}
	if f.binary && f.nul {
		return usageError("-binary and -0 both say how stdin is cut into messages: choose one")
	}
	if f.exitAfter < 0 {
		return usageError("-exit-after: want a count of 0 or more")
	}
	if f.timeout <= 0 {
		return usageError("-connect-timeout: want a duration above zero, as in 10s")
	}
	return checkURL(f.url)
}

// http2Modes are the values of -http2.
var http2Modes = map[string]fastws.HTTP2Mode{"auto": fastws.HTTP2Auto, "off": fastws.HTTP2Off, "only": fastws.HTTP2Only}

// usageError is a mistake in the command line: exit status 2.
type usageError string

func (e usageError) Error() string { return string(e) }

// checkURL says what is wrong with a URL Dial would refuse, and what to
// type instead. http and https are accepted, as Dial accepts them.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		guess := "ws://" + strings.TrimPrefix(raw, "//")
		return usageError(fmt.Sprintf("%q is not a WebSocket URL: write it with its scheme and host, as in %s", raw, guess))
	}
	switch strings.ToLower(u.Scheme) {
	case "ws", "wss", "http", "https":
		return nil
	}
	return usageError(fmt.Sprintf("%q is not a WebSocket URL: the scheme must be ws:// or wss://, not %s://", raw, u.Scheme))
}

// headerFlag collects -H 'Name: value' flags.
type headerFlag struct{ h http.Header }

func (f *headerFlag) String() string {
	if f.h == nil {
		return ""
	}
	var parts []string
	for k, vs := range f.h {
		for _, v := range vs {
			parts = append(parts, k+": "+v)
		}
	}
	return strings.Join(parts, ", ")
}

// Set checks the header as the handshake will: the headers the handshake
// writes itself are refused here, with the flag that sets them if any.
func (f *headerFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t\r\n") {
		return fmt.Errorf("want 'Name: value', as in -H 'Authorization: Bearer abc'")
	}
	canon := http.CanonicalHeaderKey(name)
	switch {
	case canon == "Sec-Websocket-Protocol":
		return fmt.Errorf("%s is set with -subprotocol", name)
	case canon == "Sec-Websocket-Extensions":
		return fmt.Errorf("%s is set with -compress", name)
	case canon == "Upgrade" || canon == "Connection" || strings.HasPrefix(canon, "Sec-Websocket-"):
		return fmt.Errorf("%s is written by the handshake itself and cannot be set", name)
	}
	if f.h == nil {
		f.h = http.Header{}
	}
	f.h.Add(canon, strings.TrimSpace(value))
	return nil
}

// listFlag collects a repeatable flag whose values may also be
// comma-separated.
type listFlag []string

func (f *listFlag) String() string { return strings.Join(*f, ",") }

func (f *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*f = append(*f, s)
		}
	}
	return nil
}

// dialOptions turns the flags into the library's options.
func (f *connectFlags) dialOptions() (*fastws.DialOptions, error) {
	o := &fastws.DialOptions{
		ConnOptions:      fastws.ConnOptions{MaxMessageSize: int64(f.maxMessage)},
		Header:           f.headers.h.Clone(),
		Subprotocols:     f.subprotocols,
		Compression:      compression(f.compress),
		HTTP2:            http2Modes[f.http2],
		HandshakeTimeout: f.timeout,
	}
	if f.origin != "" {
		if o.Header == nil {
			o.Header = http.Header{}
		}
		o.Header.Set("Origin", f.origin)
	}
	if f.insecure || f.cacert != "" {
		tc := &tls.Config{InsecureSkipVerify: f.insecure}
		if f.cacert != "" {
			pool, err := readCAs(f.cacert)
			if err != nil {
				return nil, err
			}
			tc.RootCAs = pool
		}
		o.TLSConfig = tc
	}
	if f.proxy != "" {
		pu, err := url.Parse(f.proxy)
		if err != nil || pu.Host == "" || (pu.Scheme != "http" && pu.Scheme != "https") {
			return nil, usageError(fmt.Sprintf("-proxy %q: want an http:// or https:// URL, as in http://127.0.0.1:3128", f.proxy))
		}
		o.Proxy = func(*http.Request) (*url.URL, error) { return pu, nil }
	}
	return o, nil
}

func readCAs(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usageError(fmt.Sprintf("-cacert %s: %v", path, err))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, usageError(fmt.Sprintf("-cacert %s: no PEM certificate in the file", path))
	}
	return pool, nil
}

// connectUsage is the help of fastws connect: what it does, the flags,
// and the exit statuses a script can test.
func connectUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `usage: fastws connect [flags] ws://host:port/path

Connects to a WebSocket server. On a terminal it is interactive: type a
line to send it (with editing and history), messages print above the
prompt, Ctrl-D or Ctrl-C closes with 1000. Otherwise it pipes: each line
of stdin (or NUL-terminated record with -0, or chunk with -binary) is one
message, each message received is printed on its own line; once stdin
is done and the server has been quiet for -linger it closes with 1000,
and it exits when the server has answered the close, or when the server
closes.

Examples:
  fastws connect ws://127.0.0.1:8080/echo
  echo hello | fastws connect -show-control ws://127.0.0.1:8080/echo
  fastws connect -H 'Authorization: Bearer abc' -subprotocol chat.v1 wss://example.com/ws
  fastws connect -jsonl -exit-after 10 wss://example.com/feed < /dev/null

Flags:
`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Exit status:
  0  closed normally (1000, 1001 or no code, by either side)
  1  the server closed with another code (printed with its reason)
  2  the command line is wrong
  3  the server refused the WebSocket handshake (status, headers and body printed)
  4  network or TLS error, or the connection dropped without a close frame
  5  protocol error: the server broke RFC 6455 or said that we did (close code printed)
  6  timeout: connecting, the handshake, or the close handshake
`)
}
