//go:build unix

package fastws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/fastws/fastws/internal/deflate"
	"github.com/fastws/fastws/wsframe"
)

// FuzzHandleMessages sends arbitrary bytes, as a client's side of the
// stream, to two server Conns over Unix socket pairs: one read with
// HandleMessages (its fast path, since the transport is a socket), the
// other with an AppendMessage loop. Both must hand over the same messages
// and end the same way: the fast path is another driver of the same
// Parser, and must not differ from the ordinary one in anything but cost.
func FuzzHandleMessages(f *testing.F) {
	frame := func(op wsframe.Opcode, fin bool, payload []byte) []byte { // masked, as a client sends
		return maskFrame(wsframe.Header{Fin: fin, Opcode: op}, payload)
	}
	big := bytes.Repeat([]byte("0123456789"), 7000)
	f.Add(frame(wsframe.OpText, true, []byte("hello")))
	f.Add(cat(frame(wsframe.OpBinary, true, big), frame(wsframe.OpText, true, []byte("after"))))
	f.Add(cat(frame(wsframe.OpBinary, false, big[:30000]), frame(wsframe.OpPing, true, []byte("p")),
		frame(wsframe.OpContinuation, true, big[30000:])))
	f.Add(cat(frame(wsframe.OpText, true, []byte("a")), frame(wsframe.OpClose, true, []byte{0x03, 0xe8, 'o', 'k'})))
	f.Add(frame(wsframe.OpText, true, []byte{0xc3, 0x28}))
	f.Add(cat(frame(wsframe.OpText, false, []byte("split ")), frame(wsframe.OpBinary, true, []byte("wrong"))))
	f.Add([]byte{0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, input []byte) {
		handleAgainstAppend(t, input, func() *handshakeResult { return &handshakeResult{} })
	})
}

// FuzzHandleMessagesInflated is FuzzHandleMessages with permessage-deflate
// negotiated (context takeover both ways), where HandleMessages reads off
// its fast path: it gathers each message in a buffer from the pool, grown
// from the pool when the message outgrows it, and must hand its handler
// what an AppendMessage loop reads, message for message, and fail the
// same way.
func FuzzHandleMessagesInflated(f *testing.F) {
	for _, seed := range inflatedSeeds(2000) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input []byte) {
		handleAgainstAppend(t, input, func() *handshakeResult {
			return &handshakeResult{negotiated: negotiated{deflate: &compression{
				agreement: deflateAgreementForTest(), level: 1, threshold: 128,
			}}}
		})
	})
}

// handleAgainstAppend serves input to a HandleMessages loop and to an
// AppendMessage loop, each on a Conn with what hs makes, and fails the
// test unless both saw the same messages and ended the same way.
func handleAgainstAppend(t *testing.T, input []byte, hs func() *handshakeResult) {
	handled := serveFuzzInput(t, input, hs(), func(c *Conn, keep func(MessageType, []byte)) error {
		return c.HandleMessages(context.Background(), func(typ MessageType, msg []byte) error {
			keep(typ, msg)
			return nil
		})
	})
	appended := serveFuzzInput(t, input, hs(), func(c *Conn, keep func(MessageType, []byte)) error {
		for {
			typ, msg, err := c.AppendMessage(context.Background(), nil)
			if err != nil {
				return err
			}
			keep(typ, msg)
		}
	})
	if handled != appended {
		t.Fatalf("HandleMessages and AppendMessage differ:\n%s\n%s", handled, appended)
	}
}

// inflatedSeeds are client streams for the fuzz targets with
// permessage-deflate, each compressed from a fresh context as the server
// will inflate it: three text messages in a row (the middle one repeats
// a JSON record the given number of times), a binary message split in
// two frames with a ping between them and a plain text message after,
// and a message that does not inflate.
func inflatedSeeds(repeats int) [][]byte {
	comp := deflate.NewCompressor(1, 15, true)
	compressed := func(op wsframe.Opcode, msg []byte) []byte {
		return maskFrame(wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: op}, comp.Compress(nil, msg))
	}
	small := bytes.Repeat([]byte(`{"a":1,"b":"two"},`), 10)
	large := bytes.Repeat([]byte(`{"id":12345,"name":"widget","tags":["x","y"]},`), repeats)
	three := cat(compressed(wsframe.OpText, small), compressed(wsframe.OpText, large), compressed(wsframe.OpText, small))
	comp = deflate.NewCompressor(1, 15, true)
	payload := comp.Compress(nil, large)
	split := cat(maskFrame(wsframe.Header{Rsv: wsframe.Rsv1, Opcode: wsframe.OpBinary}, payload[:len(payload)/2]),
		maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpPing}, []byte("p")),
		maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpContinuation}, payload[len(payload)/2:]),
		maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpText}, []byte("plain")))
	corrupt := maskFrame(wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpText}, []byte{0xff, 0x00, 0x12})
	return [][]byte{three, split, corrupt}
}

// serveFuzzInput runs read on a server Conn, with what hs negotiated,
// whose peer sends input and then ends its side, and describes what read
// saw: every message and how it ended.
func serveFuzzInput(t *testing.T, input []byte, hs *handshakeResult, read func(*Conn, func(MessageType, []byte)) error) string {
	server, client := unixPair(t)
	go func() {
		_, _ = client.Write(input)
		_ = client.CloseWrite()
		_, _ = io.Copy(io.Discard, client) // what the server answers: pongs, close frames
		client.Close()
	}()
	c := newConn(server, ServerSide, &ConnOptions{MaxMessageSize: 1 << 20}, hs)
	var out bytes.Buffer
	err := read(c, func(typ MessageType, msg []byte) {
		fmt.Fprintf(&out, "%v %d %x\n", typ, len(msg), msg)
	})
	c.CloseNow()
	fmt.Fprintf(&out, "end: %s", errorClass(err))
	return out.String()
}

// errorClass names an error by what a peer would see of it.
func errorClass(err error) string {
	var ce *CloseError
	var pe *wsframe.ProtocolError
	var le *wsframe.LimitError
	switch {
	case errors.As(err, &ce):
		return fmt.Sprintf("close %d %q", ce.Code, ce.Reason)
	case errors.As(err, &le):
		return fmt.Sprintf("limit %v", le.Err)
	case errors.As(err, &pe):
		return fmt.Sprintf("protocol %d %v", pe.Code, pe)
	case err == nil:
		return "nil"
	}
	return "other " + err.Error()
}

// unixPair returns the two ends of a connected Unix socket pair.
func unixPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close() // FileConn dups it
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	return conn(fds[0]), conn(fds[1])
}
