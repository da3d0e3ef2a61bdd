//go:build !js

package fastws

import (
	"bytes"
	"errors"
	"net/http"
	"net/textproto"
	"strconv"
)

// responseHead is a parsed HTTP/1.x response head.
type responseHead struct {
	proto  string
	status int
	reason string
	header http.Header
}

var errMalformedResponse = errors.New("malformed HTTP response")

// parseResponseHead parses a response head: the status line, header lines
// and the blank line that ends them.
func parseResponseHead(head []byte) (*responseHead, error) {
	line, rest, ok := nextLine(head)
	if !ok {
		return nil, errMalformedResponse
	}
	proto, line, ok1 := bytes.Cut(line, []byte(" "))
	code, reason, _ := bytes.Cut(line, []byte(" "))
	major, _, ok2 := parseHTTPVersion(proto)
	if !ok1 || !ok2 || major != 1 || len(code) != 3 {
		return nil, errMalformedResponse
	}
	status, err := strconv.Atoi(string(code))
	if err != nil || status < 100 {
		return nil, errMalformedResponse
	}
	r := &responseHead{proto: string(proto), status: status, reason: string(reason), header: http.Header{}}
	for {
		line, rest, ok = nextLine(rest)
		if !ok {
			return nil, errMalformedResponse
		}
		if len(line) == 0 {
			return r, nil
		}
		if line[0] == ' ' || line[0] == '\t' {
			return nil, errMalformedResponse
		}
		name, value, ok := headerLine(line)
		if !ok {
			return nil, errMalformedResponse
		}
		key := textproto.CanonicalMIMEHeaderKey(string(name))
		r.header[key] = append(r.header[key], string(value))
	}
}

// headerHasToken reports whether any value of the header lists token.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		if hasToken([]byte(v), token) {
			return true
		}
	}
	return false
}
