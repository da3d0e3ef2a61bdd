package fastws

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"path"
	"strings"
)

// keyGUID is the fixed string RFC 6455 section 1.3 appends to the client's
// key before hashing it into Sec-WebSocket-Accept.
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// acceptKey computes Sec-WebSocket-Accept for key into out, without
// allocating.
func acceptKey(out *[28]byte, key []byte) {
	var buf [24 + len(keyGUID)]byte
	n := copy(buf[:], key)
	n += copy(buf[n:], keyGUID)
	sum := sha1.Sum(buf[:n])
	base64.StdEncoding.Encode(out[:], sum[:])
}

// validKey reports whether key is base64 for exactly 16 bytes, as RFC 6455
// section 4.2.1 requires of Sec-WebSocket-Key.
func validKey(key []byte) bool {
	if len(key) != 24 {
		return false
	}
	var raw [18]byte
	n, err := base64.StdEncoding.Decode(raw[:], key)
	return err == nil && n == 16
}

// HandshakeError reports a failed opening handshake. On the server, it says
// what was wrong with the request and the status the client was answered
// with. On the client, it carries the server's answer: its status, headers
// and the start of its body (at most 4 KiB) — a redirect (3xx, with
// Location), a rejection, or a 101 that failed a check.
type HandshakeError struct {
	StatusCode int
	Reason     string
	Header     http.Header // the server's response headers (client side)
	Body       []byte      // the start of the server's response body (client side)
}

func (e *HandshakeError) Error() string { return "fastws: handshake failed: " + e.Reason }

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// rankSubprotocols looks at one Sec-WebSocket-Protocol value and returns
// the index in server of the most preferred protocol it offers, if that
// beats best (pass len(server) to start). Preference is the server's: it
// knows which protocol it handles best.
func rankSubprotocols(server []string, value []byte, best int) int {
	for len(value) > 0 {
		var item []byte
		if i := bytes.IndexByte(value, ','); i >= 0 {
			item, value = value[:i], value[i+1:]
		} else {
			item, value = value, nil
		}
		item = trimOWS(item)
		for i := 0; i < best; i++ {
			if string(item) == server[i] { // compared without allocating
				best = i
				break
			}
		}
	}
	return best
}

// originAllowed applies the server's origin policy: a request without an
// Origin header (not from a browser) is allowed; a browser's Origin must
// name the same host as the request, or match one of patterns (path.Match
// syntax on the host, port included, case-insensitive), or the request is
// refused, which defeats cross-site WebSocket hijacking.
func originAllowed(origin, host []byte, patterns []string) bool {
	if len(origin) == 0 {
		return true
	}
	oh, ok := originHost(origin)
	if !ok {
		return false
	}
	if bytes.EqualFold(oh, host) {
		return true
	}
	if len(patterns) == 0 {
		return false
	}
	h := strings.ToLower(string(oh))
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), h); ok {
			return true
		}
	}
	return false
}

// originHost extracts host[:port] from an origin "scheme://host[:port]".
func originHost(origin []byte) ([]byte, bool) {
	i := bytes.Index(origin, []byte("://"))
	if i <= 0 {
		return nil, false
	}
	h := origin[i+3:]
	if j := bytes.IndexAny(h, "/?#"); j >= 0 {
		h = h[:j]
	}
	return h, len(h) > 0
}
