package fastws

import "bytes"

// The HTTP/1.1 message-head primitives both handshakes share. They work on
// byte slices in place and allocate nothing. They are strict where leniency
// buys nothing for WebSocket: lines end in CRLF, obsolete line folding is
// refused, header names are tokens and values hold no control bytes.

var crlfcrlf = []byte("\r\n\r\n")

// headEnd returns the length of the message head at the start of b,
// including its blank line, or -1 if b does not hold a whole head yet.
// from is where a previous search left off, so a head arriving in many
// reads is scanned once.
func headEnd(b []byte, from int) int {
	from = max(0, from-3)
	if i := bytes.Index(b[from:], crlfcrlf); i >= 0 {
		return from + i + 4
	}
	return -1
}

// nextLine splits the first CRLF-terminated line off b.
func nextLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 0 {
		return nil, nil, false
	}
	return b[:i], b[i+2:], true
}

// headerLine splits a header line into name and value, with the value's
// surrounding spaces and tabs trimmed.
func headerLine(line []byte) (name, value []byte, ok bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, nil, false
	}
	name = line[:colon]
	for _, c := range name {
		if !isTokenChar(c) {
			return nil, nil, false
		}
	}
	value = trimOWS(line[colon+1:])
	for _, c := range value {
		if c < 0x20 && c != '\t' || c == 0x7F {
			return nil, nil, false
		}
	}
	return name, value, true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// isTokenChar reports whether c may appear in an HTTP token (RFC 9110
// section 5.6.2).
func isTokenChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	return c < 0x80 && bytes.IndexByte([]byte("!#$%&'*+-.^_`|~"), c) >= 0
}

// hasToken reports whether the comma-separated list v holds token,
// compared case-insensitively, as Connection and Upgrade require.
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		if equalFold(trimOWS(item), token) {
			return true
		}
	}
	return false
}

// equalFold compares ASCII case-insensitively without allocating.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
