package loadgen

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"strings"
)

// websocketGUID is the fixed string RFC 6455 appends to the key.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// maxResponseHead bounds the 101 response the handshake reads.
const maxResponseHead = 4 << 10

// clientHandshake sends the opening request, with the extension offer if
// there is one, and checks the 101 response; it returns the server's
// extensions.
// path is the request target ("/" if empty), host the Host header.
func clientHandshake(nc net.Conn, host, path, offer string, size int) (string, error) {
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	if path == "" {
		path = "/"
	}
	req := "GET " + path + " HTTP/1.1\r\n" +
		"Host: " + host + "\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n"
	if offer != "" {
		req += "Sec-WebSocket-Extensions: " + offer + "\r\n"
	}
	req += "\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		return "", err
	}
	head, err := readResponseHead(nc)
	if err != nil {
		return "", err
	}
	return checkResponse(head, key, offer != "", size)
}

// readResponseHead reads up to the blank line ending the response head.
// The server sends nothing after it before the first message, so reading
// past it would be a protocol error anyway.
func readResponseHead(nc net.Conn) ([]byte, error) {
	buf := make([]byte, 0, maxResponseHead)
	for {
		if len(buf) == cap(buf) {
			return nil, errors.New("loadgen: handshake response too long")
		}
		n, err := nc.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if i := bytes.Index(buf, []byte("\r\n\r\n")); i >= 0 {
			if i+4 != len(buf) {
				return nil, errors.New("loadgen: data after the handshake response")
			}
			return buf[:i], nil
		}
		if err != nil {
			return nil, fmt.Errorf("loadgen: reading handshake response: %w", err)
		}
	}
}

// checkResponse verifies the status and the accept key, and returns the
// server's extensions: none if compression was not offered, and
// permessage-deflate with parameters that fit the offer if it was. A
// server that declines compression fails the handshake, so that a
// compressed benchmark never measures an uncompressed server.
func checkResponse(head []byte, key string, compress bool, size int) (string, error) {
	lines := strings.Split(string(head), "\r\n")
	if f := strings.Fields(lines[0]); len(f) < 2 || f[1] != "101" {
		return "", fmt.Errorf("loadgen: handshake refused: %q", lines[0])
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	wantAccept := base64.StdEncoding.EncodeToString(sum[:])
	accepted := false
	var ext []string
	for _, line := range lines[1:] {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return "", fmt.Errorf("loadgen: malformed response header %q", line)
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "sec-websocket-accept":
			accepted = value == wantAccept
		case "sec-websocket-extensions":
			if value != "" {
				ext = append(ext, value)
			}
		}
	}
	if !accepted {
		return "", errors.New("loadgen: missing or wrong Sec-WebSocket-Accept")
	}
	value := strings.Join(ext, ", ")
	switch {
	case !compress && value != "":
		return "", fmt.Errorf("loadgen: server negotiated extensions %q", value)
	case compress && value == "":
		return "", errors.New("loadgen: server declined permessage-deflate")
	case compress:
		if err := checkDeflateResponse(value, size); err != nil {
			return "", err
		}
	}
	return value, nil
}
