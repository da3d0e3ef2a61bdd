package servers

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
)

// epollFloorMaxHead bounds the opening request epoll-floor reads.
const epollFloorMaxHead = 4 << 10

// websocketGUID is what RFC 6455 appends to the client's key.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

const (
	switchingProtocols = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "
	keyHeader          = "sec-websocket-key"
	// epollFloorDeflate is the compressed epoll-floor's agreement: no
	// context takeover either way, so that every message, compressed by
	// the client on its own, can be echoed as it came. Any client offer
	// of permessage-deflate allows it (RFC 7692 sections 7.1.1.1 and
	// 7.1.1.2: a server may always add either parameter).
	epollFloorDeflate = "\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover"
)

// handshakeResponse returns the 101 answering the request head (without
// its final blank line), in the loop's scratch memory: the least a client
// accepts, with no check of the method, the version, the Upgrade and
// Connection headers or the origin. It reports false for a request
// without a key.
func (l *efLoop) handshakeResponse(head []byte) ([]byte, bool) {
	var key []byte
	for line := range bytes.SplitSeq(head, []byte("\r\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if ok && bytes.EqualFold(bytes.TrimSpace(name), []byte(keyHeader)) {
			key = bytes.TrimSpace(value)
			break
		}
	}
	if len(key) == 0 {
		return nil, false
	}
	h := sha1.New()
	h.Write(key)
	h.Write([]byte(websocketGUID))
	var sum [sha1.Size]byte
	var accept [28]byte // base64 of 20 bytes
	base64.StdEncoding.Encode(accept[:], h.Sum(sum[:0]))
	l.head = append(l.head[:0], switchingProtocols...)
	l.head = append(l.head, accept[:]...)
	if l.deflate && bytes.Contains(head, []byte("permessage-deflate")) {
		l.head = append(l.head, epollFloorDeflate...)
	}
	l.head = append(l.head, "\r\n\r\n"...)
	return l.head, true
}
