package fanout

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/fastws/fastws/internal/loadgen"
	"github.com/fastws/fastws/wsframe"
)

// StampSize is the prefix of every published payload: its sequence
// number and the time it was published (nanoseconds since this process's
// epoch, on the monotonic clock), each 8 bytes little-endian. The rest of
// the payload is filler, the same pattern at the same offsets in every
// message, so a subscriber checks it byte for byte without keeping the
// message.
const StampSize = 16

// MinSize is the smallest message the benchmark publishes: the stamp and
// a few filler bytes, so that the filler check covers something.
const MinSize = 20

// MaxSize bounds the messages; every server's read limit is above it.
const MaxSize = 64 << 10

// filler is the pattern of every payload after the stamp: loadgen's, so
// that a message of any size is a prefix of a longer one's.
var filler = loadgen.Payload(MaxSize)

// epoch is what publish times count from. time.Since reads the monotonic
// clock, so the stamps survive wall-clock steps; publisher and
// subscribers share the process, hence the clock.
var epoch = time.Now()

// now returns the current time as a stamp.
func now() int64 { return int64(time.Since(epoch)) }

// maskKey masks every frame the publisher sends: a fixed key lets the
// filler be masked once, leaving the stamp to mask per message.
var maskKey = [4]byte{0x5a, 0x13, 0xc7, 0x81}

// frameTemplate is one size's publisher frame: header and masked filler,
// with the stamp filled in and masked per message.
type frameTemplate struct {
	frame []byte
	stamp int // offset of the stamp in frame
}

// newFrameTemplate returns the frame of a message whose payload is body
// after the stamp.
func newFrameTemplate(body []byte) *frameTemplate {
	size := len(body)
	h := wsframe.Header{Fin: true, Opcode: wsframe.OpBinary, Masked: true, Mask: maskKey, Length: int64(size)}
	frame := wsframe.AppendHeader(make([]byte, 0, wsframe.HeaderSize(h)+size), h)
	start := len(frame)
	frame = append(frame, body...)
	wsframe.Mask(maskKey, 0, frame[start:])
	return &frameTemplate{frame: frame, stamp: start}
}

// templates are the frames of one size the publisher sends: the filler's,
// or one per JSON document (compressed runs), message seq taking
// templates[seq % len(templates)].
type templates []*frameTemplate

func newTemplates(size int, json bool) templates {
	if !json {
		return templates{newFrameTemplate(filler[:size])}
	}
	var ts templates
	for _, body := range jsonBodies(size) {
		ts = append(ts, newFrameTemplate(body))
	}
	return ts
}

// fill returns the frame of message seq, published at t.
func (ts templates) fill(seq, t int64) []byte {
	return ts[uint64(seq)%uint64(len(ts))].fill(seq, t)
}

// fill writes the stamp of message seq, published at t, into the frame.
func (f *frameTemplate) fill(seq, t int64) []byte {
	s := f.frame[f.stamp : f.stamp+StampSize]
	binary.LittleEndian.PutUint64(s[0:8], uint64(seq))
	binary.LittleEndian.PutUint64(s[8:16], uint64(t))
	wsframe.Mask(maskKey, 0, s)
	return f.frame
}

// Paths: one endpoint, the role in the query. A subscriber is subscribed
// to the benchmark's topic as it opens; the publisher is not, and what it
// sends is published to the topic.
const (
	subscribePath = "/fanout"
	publishPath   = "/fanout?role=pub"
)

// isPublisher reports whether a request target is the publisher's.
func isPublisher(target string) bool { return strings.Contains(target, "role=pub") }

// websocketGUID is the fixed string RFC 6455 appends to the key.
const websocketGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// dialTimeout bounds each connection's connect and opening handshake.
const dialTimeout = 10 * time.Second

// stalledMSS is the stalled subscriber's maximum segment size. On
// loopback (MTU 64 KiB) Linux sizes a sender's buffer from the peer's MSS
// and lets it grow to 4 MiB (tcp_wmem): a peer that never reads then
// takes 2.8 MB before the server's write blocks, more than a fan-out
// bench publishes to it in minutes. Advertising the classic 536-byte MSS,
// as a constrained client does, keeps the server's kernel buffer for it
// near 100-200 KB, so that what follows queues in the server's own
// memory, under its library's policy, which is what the stalled cells
// are about.
const stalledMSS = 536

// dial connects to addr and does the opening handshake for path, offering
// the extensions in offer (none when empty), and returns the connection
// with no deadline and the extensions the server chose. rcvbuf, when
// positive, sets SO_RCVBUF and stalledMSS before the connect, so that the
// receive window and the segments are negotiated small (the stalled
// subscriber's).
func dial(addr, path string, rcvbuf int, offer string) (net.Conn, string, error) {
	d := net.Dialer{Timeout: dialTimeout}
	if rcvbuf > 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf)
				if serr == nil {
					serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, stalledMSS)
				}
			})
			if err != nil {
				return err
			}
			return serr
		}
	}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	ext, err := handshake(nc, addr, path, offer)
	if err != nil {
		nc.Close()
		return nil, "", err
	}
	return nc, ext, nil
}

// handshake sends the opening request, offering the extensions in offer,
// checks the 101 response and returns the extensions it names. The
// response is read byte by byte up to its blank line, so that nothing
// after it (a first message) is taken from the socket: the subscribers
// read on from the raw descriptor.
func handshake(nc net.Conn, host, path, offer string) (string, error) {
	if err := nc.SetDeadline(time.Now().Add(dialTimeout)); err != nil {
		return "", err
	}
	var nonce [16]byte
	_, _ = rand.Read(nonce[:])
	key := base64.StdEncoding.EncodeToString(nonce[:])
	req := "GET " + path + " HTTP/1.1\r\nHost: " + host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
		"\r\nSec-WebSocket-Version: 13\r\n"
	if offer != "" {
		req += "Sec-WebSocket-Extensions: " + offer + "\r\n"
	}
	req += "\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		return "", err
	}
	head, err := readHead(nc)
	if err != nil {
		return "", err
	}
	lines := strings.Split(head, "\r\n")
	if f := strings.Fields(lines[0]); len(f) < 2 || f[1] != "101" {
		return "", fmt.Errorf("handshake refused: %q", lines[0])
	}
	sum := sha1.Sum([]byte(key + websocketGUID))
	want := base64.StdEncoding.EncodeToString(sum[:])
	ok := false
	ext := ""
	for _, line := range lines[1:] {
		name, value, _ := strings.Cut(line, ":")
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "sec-websocket-accept":
			ok = strings.TrimSpace(value) == want
		case "sec-websocket-extensions":
			ext = strings.TrimSpace(value)
			if ext != "" && offer == "" {
				return "", fmt.Errorf("server negotiated extensions %q; none were offered", value)
			}
		}
	}
	if !ok {
		return "", errors.New("missing or wrong Sec-WebSocket-Accept")
	}
	return ext, nc.SetDeadline(time.Time{})
}

// readHead reads the response head, one byte per read: a handshake is
// done once per connection, and reading past the head would take
// message bytes out of the socket.
func readHead(nc net.Conn) (string, error) {
	var b bytes.Buffer
	one := make([]byte, 1)
	for b.Len() < 4096 {
		if _, err := nc.Read(one); err != nil {
			return "", fmt.Errorf("reading the handshake response: %w", err)
		}
		b.WriteByte(one[0])
		if bytes.HasSuffix(b.Bytes(), []byte("\r\n\r\n")) {
			return strings.TrimSuffix(b.String(), "\r\n\r\n"), nil
		}
	}
	return "", errors.New("handshake response too long")
}

// detach duplicates nc's socket out of Go's network poller (close-on-exec,
// non-blocking, as Go made it) and closes nc: the subscribers' event
// loops drive the descriptor with plain system calls.
func detach(nc net.Conn) (int, error) {
	defer nc.Close()
	raw, err := nc.(*net.TCPConn).SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	err = raw.Control(func(s uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			dupErr = e
			return
		}
		fd = int(r)
	})
	if err == nil {
		err = dupErr
	}
	return fd, err
}

// abort closes fd with a reset (SO_LINGER 0): the benchmark opens tens of
// thousands of connections per run, and orderly closes would leave them
// in TIME_WAIT holding ephemeral ports.
func abort(fd int) {
	_ = syscall.SetsockoptLinger(fd, syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
	_ = syscall.Close(fd)
}

// abortConn is abort for a connection still in Go's poller.
func abortConn(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = nc.Close()
}
