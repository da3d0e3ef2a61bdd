// Package rawclient is a WebSocket client for the memory battery: it
// writes frames exactly as it is told (whole messages, fragments of any
// size, compressed bombs), in large writes so that it is never what a
// server waits for, and reports what the server answered: the echo,
// checked, or a close code, a reset or silence.
//
// It is a test tool, not a client library: one message at a time, no
// closing handshake, and a fixed masking key.
package rawclient

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"
)

// DeflateOffer is the permessage-deflate offer the bomb's connections
// make: no context takeover either way, which every server here accepts.
const DeflateOffer = "permessage-deflate; client_no_context_takeover; server_no_context_takeover"

// websocketGUID is the fixed string RFC 6455 appends to the key.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// readBufferSize is the buffer echoes are read through.
const readBufferSize = 64 << 10

// Conn is one client connection after its opening handshake.
type Conn struct {
	nc        *net.TCPConn
	br        *bufio.Reader
	extension string
}

// Dial connects to addr and performs the opening handshake, offering the
// extensions in offer ("" for none). An offer the server declines is an
// error, so that a bomb is never sent to a server that would read it as
// a plain message.
func Dial(addr, offer string, timeout time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &Conn{nc: nc.(*net.TCPConn), br: bufio.NewReaderSize(nc, readBufferSize)}
	if err := c.handshake(addr, offer, timeout); err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}

// Extension returns the server's Sec-WebSocket-Extensions answer.
func (c *Conn) Extension() string { return c.extension }

// Close closes the TCP connection without a closing handshake.
func (c *Conn) Close() error { return c.nc.Close() }

// SetDeadline bounds every read and write from now on.
func (c *Conn) SetDeadline(t time.Time) error { return c.nc.SetDeadline(t) }

func (c *Conn) handshake(host, offer string, timeout time.Duration) error {
	if err := c.nc.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := "GET / HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n"
	if offer != "" {
		req += "Sec-WebSocket-Extensions: " + offer + "\r\n"
	}
	if _, err := c.nc.Write([]byte(req + "\r\n")); err != nil {
		return err
	}
	tp := textproto.NewReader(c.br)
	status, err := tp.ReadLine()
	if err != nil {
		return fmt.Errorf("rawclient: reading the handshake response: %w", err)
	}
	if f := strings.Fields(status); len(f) < 2 || f[1] != "101" {
		return fmt.Errorf("rawclient: handshake refused: %q", status)
	}
	head, err := tp.ReadMIMEHeader()
	if err != nil {
		return fmt.Errorf("rawclient: reading the handshake response: %w", err)
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	if head.Get("Sec-Websocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		return errors.New("rawclient: missing or wrong Sec-WebSocket-Accept")
	}
	c.extension = strings.Join(head.Values("Sec-Websocket-Extensions"), ", ")
	switch {
	case offer == "" && c.extension != "":
		return fmt.Errorf("rawclient: server answered extensions %q to none", c.extension)
	case offer != "" && !strings.HasPrefix(strings.TrimSpace(c.extension), "permessage-deflate"):
		return fmt.Errorf("rawclient: server declined %q (answered %q)", offer, c.extension)
	}
	return c.nc.SetDeadline(time.Time{})
}
