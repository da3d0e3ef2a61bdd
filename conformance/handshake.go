package conformance

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// AcceptFor computes the Sec-WebSocket-Accept value for a key.
func AcceptFor(key string) string {
	sum := sha1.Sum([]byte(key + keyGUID))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func newKey() string {
	var b [16]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// requestFor builds a valid opening handshake request for u with key and
// extra header lines.
func requestFor(u *url.URL, key string, extra ...string) string {
	path := u.RequestURI()
	var b strings.Builder
	b.WriteString("GET " + path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n")
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// dialTestee connects to the testee server at u (ws:// only: the suite
// tests on loopback) and performs a valid opening handshake, offering the
// given extensions. It returns the extensions the server accepted.
func dialTestee(u *url.URL, timeout time.Duration, offers []string) (net.Conn, *bufio.Reader, string, error) {
	conn, err := net.DialTimeout("tcp", hostPort(u), timeout)
	if err != nil {
		return nil, nil, "", err
	}
	conn.SetDeadline(time.Now().Add(timeout))
	key := newKey()
	var extra []string
	if len(offers) > 0 {
		extra = append(extra, "Sec-WebSocket-Extensions: "+strings.Join(offers, ", "))
	}
	if _, err := io.WriteString(conn, requestFor(u, key, extra...)); err != nil {
		conn.Close()
		return nil, nil, "", err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		conn.Close()
		return nil, nil, "", fmt.Errorf("reading the handshake response: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != AcceptFor(key) {
		conn.Close()
		return nil, nil, "", fmt.Errorf("handshake refused: %s", resp.Status)
	}
	conn.SetDeadline(time.Time{})
	return conn, br, strings.Join(resp.Header.Values("Sec-WebSocket-Extensions"), ", "), nil
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// HandshakeProbe is what an opening-handshake case works with. In server
// mode it sends raw requests to the testee; in client mode it holds the
// testee client's request and answers it.
type HandshakeProbe struct {
	mode    Mode
	url     *url.URL
	timeout time.Duration // already scaled
	scale   float64       // the run's time scale, for waits inside the case

	// client mode
	conn net.Conn
	br   *bufio.Reader
	req  *http.Request
}

// URL is the testee server's URL (server mode).
func (h *HandshakeProbe) URL() *url.URL { return h.url }

// Valid returns a valid request for the testee with a fresh key, and the
// key.
func (h *HandshakeProbe) Valid(extra ...string) (request, key string) {
	key = newKey()
	return requestFor(h.url, key, extra...), key
}

// Exchange sends a raw request to the testee server on a new connection
// and returns its response with the body read (at most 4 KiB). When the
// testee accepts, the connection is closed right after.
func (h *HandshakeProbe) Exchange(request string) (*http.Response, []byte, error) {
	conn, err := net.DialTimeout("tcp", hostPort(h.url), h.timeout)
	if err != nil {
		return nil, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(h.timeout))
	if _, err := io.WriteString(conn, request); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, err
	}
	var body []byte
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ = io.ReadAll(io.LimitReader(resp.Body, 4096))
	}
	return resp, body, nil
}

// Request is the testee client's opening handshake request (client mode).
func (h *HandshakeProbe) Request() *http.Request { return h.req }

// RespondAndWatch answers the testee client with a raw response, then
// sends a text message and watches for up to wait: it reports whether the
// client echoed it (it took the handshake as good) and what it saw.
func (h *HandshakeProbe) RespondAndWatch(response string, wait time.Duration) (echoed bool, seen string) {
	if _, err := io.WriteString(h.conn, response); err != nil {
		return false, "could not write the response: " + err.Error()
	}
	s := newSession(h.conn, h.br, false, h.scale)
	s.SuppressClose()
	go s.readLoop()
	s.SendMessage(1, []byte("are you there?"))
	s.WaitEvents(1, wait)
	closedByClient := !s.Open()
	s.drop()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.received {
		if e.Kind == "message" {
			return true, "the client answered with a message"
		}
	}
	switch {
	case s.closeRecvd:
		return false, "the client did not answer the message; it sent a close frame"
	case closedByClient:
		return false, "the client did not answer the message; it closed the connection"
	}
	return false, fmt.Sprintf("the client neither answered the message nor closed the connection within %v; the suite closed it", wait)
}

// switching returns a 101 answer to req with extra header lines.
func switching(req *http.Request, extra ...string) string {
	var b strings.Builder
	b.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n")
	b.WriteString("Sec-WebSocket-Accept: " + AcceptFor(req.Header.Get("Sec-WebSocket-Key")) + "\r\n")
	for _, x := range extra {
		b.WriteString(x + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

var errNotUpgrade = errors.New("not a WebSocket upgrade request")

// checkUpgrade checks a testee client's request the way a strict server
// would.
func checkUpgrade(r *http.Request) error {
	if r.Method != http.MethodGet || !headerHas(r.Header, "Upgrade", "websocket") ||
		!headerHas(r.Header, "Connection", "upgrade") || r.Header.Get("Sec-WebSocket-Version") != "13" {
		return errNotUpgrade
	}
	key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-WebSocket-Key"))
	if err != nil || len(key) != 16 {
		return errors.New("bad Sec-WebSocket-Key")
	}
	return nil
}

func headerHas(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
