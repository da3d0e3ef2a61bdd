package fastws

import (
	"bytes"
	"net/http"
	"net/textproto"
)

// parseHeaderLines builds the header of a request head that
// parseRequestHead accepted. Only OpenRequest.Header calls it, so a
// handler that never looks at the header never pays for the map.
func parseHeaderLines(head []byte) http.Header {
	h := http.Header{}
	_, rest, _ := nextLine(head)
	for {
		line, more, ok := nextLine(rest)
		if !ok || len(line) == 0 {
			return h
		}
		rest = more
		if name, value, ok := headerLine(line); ok {
			key := textproto.CanonicalMIMEHeaderKey(string(name))
			h[key] = append(h[key], string(value))
		}
	}
}

// requestTarget returns the target of a request head's request line.
func requestTarget(head []byte) string {
	line, _, _ := nextLine(head)
	_, line, _ = bytes.Cut(line, []byte(" "))
	target, _, _ := bytes.Cut(line, []byte(" "))
	return string(target)
}
