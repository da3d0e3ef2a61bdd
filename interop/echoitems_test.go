package interop

// The items of the echo list that are more than one message and its echo.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/wsframe"
)

// pipelinedMessage is message i of pipelined-1000: text for even i,
// binary for odd i, all different.
func pipelinedMessage(i int) (fastws.MessageType, []byte) {
	if i%2 == 0 {
		return fastws.Text, fmt.Appendf(nil, "pipelined-%d-%s", i, strings.Repeat("x", i%7))
	}
	b := bytes.Repeat([]byte{byte(i % 251)}, 4+i%5)
	binary.BigEndian.PutUint32(b, uint32(i))
	return fastws.Binary, b
}

func pipelined(ctx context.Context, c *echoClient) (string, error) {
	const n = 1000
	for i := range n {
		typ, p := pipelinedMessage(i)
		if err := c.conn.WriteMessage(ctx, typ, p); err != nil {
			return "", fmt.Errorf("WriteMessage %d: %w", i, err)
		}
	}
	for i := range n {
		typ, p := pipelinedMessage(i)
		gotType, got, err := c.conn.ReadMessage(ctx)
		if err != nil {
			return "", fmt.Errorf("ReadMessage %d: %w", i, err)
		}
		if err := sameMessage(gotType, got, typ, p); err != nil {
			return "", fmt.Errorf("message %d: %w", i, err)
		}
	}
	return "1000 messages echoed in order", nil
}

// fragmentedTextSent sends a text message in three frames with WriteFrame.
func fragmentedTextSent(ctx context.Context, c *echoClient) (string, error) {
	frames := []fastws.Frame{
		{Fin: false, Opcode: wsframe.OpText, Payload: []byte("frag-")},
		{Fin: false, Opcode: wsframe.OpContinuation, Payload: []byte("mént")},
		{Fin: true, Opcode: wsframe.OpContinuation, Payload: []byte("ed ✓")},
	}
	var want []byte
	for i, f := range frames {
		if err := c.conn.WriteFrame(ctx, f); err != nil {
			return "", fmt.Errorf("WriteFrame %d: %w", i, err)
		}
		want = append(want, f.Payload...)
	}
	typ, got, err := c.conn.ReadMessage(ctx)
	if err != nil {
		return "", fmt.Errorf("ReadMessage: %w", err)
	}
	if err := sameMessage(typ, got, fastws.Text, want); err != nil {
		return "", err
	}
	return "3 frames sent with WriteFrame, echoed as one message", nil
}

// fragmentedBinarySent streams a binary message with NextWriter: each
// write of 16 KiB or more goes out as its own frame, so three writes of
// 40,000 bytes and a last one of 5 make four frames.
func fragmentedBinarySent(ctx context.Context, c *echoClient) (string, error) {
	parts := [][]byte{randomBytes(40000)(), randomBytes(40000)(), randomBytes(40000)(), randomBytes(5)()}
	return streamedEcho(ctx, c, fastws.Binary, parts)
}

// streamedEcho writes parts as one message of type typ with NextWriter, a
// Write each, and checks that the echo is that message.
func streamedEcho(ctx context.Context, c *echoClient, typ fastws.MessageType, parts [][]byte) (string, error) {
	w, err := c.conn.NextWriter(ctx, typ)
	if err != nil {
		return "", fmt.Errorf("NextWriter: %w", err)
	}
	for i, p := range parts {
		if n, err := w.Write(p); err != nil || n != len(p) {
			_ = w.Close()
			return "", fmt.Errorf("write %d: wrote %d of %d: %v", i, n, len(p), err)
		}
	}
	if err := w.Close(); err != nil {
		return "", fmt.Errorf("closing the message writer: %w", err)
	}
	gotTyp, got, err := c.conn.ReadMessage(ctx)
	if err != nil {
		return "", fmt.Errorf("ReadMessage: %w", err)
	}
	if err := sameMessage(gotTyp, got, typ, bytes.Join(parts, nil)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d writes streamed with NextWriter, echoed as one message", len(parts)), nil
}

// fragmentedReceived asks the server for a fragmented message and reads
// it frame by frame, checking that it did come in several frames.
func fragmentedReceived(ctx context.Context, c *echoClient) (string, error) {
	want := append([]byte("fragment-me:"), randomText(40000, false)()...)
	if err := c.conn.WriteMessage(ctx, fastws.Text, want); err != nil {
		return "", fmt.Errorf("WriteMessage: %w", err)
	}
	var got []byte
	var ops []wsframe.Opcode
	for {
		f, err := c.conn.ReadFrame(ctx)
		if err != nil {
			return "", fmt.Errorf("ReadFrame after %d frames: %w", len(ops), err)
		}
		if f.Opcode.IsControl() {
			continue
		}
		ops = append(ops, f.Opcode)
		got = append(got, f.Payload...)
		if f.Fin {
			break
		}
		if len(ops) > 1000 {
			return "", errors.New("more than 1000 frames")
		}
	}
	if len(ops) < 2 {
		return "", fmt.Errorf("the echo came in %d frame, want a fragmented message", len(ops))
	}
	for i, op := range ops {
		wantOp := wsframe.OpContinuation
		if i == 0 {
			wantOp = wsframe.OpText
		}
		if op != wantOp {
			return "", fmt.Errorf("frame %d has opcode %v, want %v", i, op, wantOp)
		}
	}
	if err := sameMessage(fastws.Text, got, fastws.Text, want); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d bytes echoed intact in %d frames", len(want), len(ops)), nil
}

// pingByClient pings the server and waits for the pong carrying the same
// payload. Ping needs a reader for the pong: a goroutine reads meanwhile,
// and a message sent after the ping ends its read.
func pingByClient(payload func() []byte) func(context.Context, *echoClient) (string, error) {
	return func(ctx context.Context, c *echoClient) (string, error) {
		p := payload()
		type read struct {
			typ fastws.MessageType
			msg []byte
			err error
		}
		done := make(chan read, 1)
		go func() {
			typ, msg, err := c.conn.ReadMessage(ctx)
			done <- read{typ, msg, err}
		}()
		pingErr := c.conn.Ping(ctx, p)
		writeErr := c.conn.WriteMessage(ctx, fastws.Text, []byte("after-ping"))
		r := <-done
		switch {
		case pingErr != nil:
			return "", fmt.Errorf("Ping: %w", pingErr)
		case writeErr != nil:
			return "", fmt.Errorf("WriteMessage: %w", writeErr)
		case r.err != nil:
			return "", fmt.Errorf("ReadMessage: %w", r.err)
		}
		if err := sameMessage(r.typ, r.msg, fastws.Text, []byte("after-ping")); err != nil {
			return "", fmt.Errorf("the message after the ping: %w", err)
		}
		return fmt.Sprintf("pong carried the %d-byte ping payload", len(p)), nil
	}
}

// pingByServer asks the server to ping; fastws answers the ping while it
// reads the server's "pong-received:" message.
func pingByServer(ctx context.Context, c *echoClient) (string, error) {
	const payload = "ping-from-server"
	if err := c.conn.WriteMessage(ctx, fastws.Text, []byte("ping-me:"+payload)); err != nil {
		return "", fmt.Errorf("WriteMessage: %w", err)
	}
	typ, got, err := c.conn.ReadMessage(ctx)
	if err != nil {
		return "", fmt.Errorf("ReadMessage: %w", err)
	}
	if err := sameMessage(typ, got, fastws.Text, []byte("pong-received:"+payload)); err != nil {
		return "", err
	}
	if !c.pinged(payload) {
		return "", fmt.Errorf("the server got our pong, but OnPing saw no ping %q", payload)
	}
	return fmt.Sprintf("ping %q seen by OnPing and answered", payload), nil
}

// closeByClient closes /main with 4001 "bye-from-client"; what the
// server saw is checked by the caller, from the server's side.
func closeByClient(ctx context.Context, c *echoClient) (string, error) {
	if err := c.conn.CloseContext(ctx, 4001, "bye-from-client"); err != nil {
		return "", fmt.Errorf("Close: %w", err)
	}
	return "closing handshake completed", nil
}

// closeByServer has the server close a second connection with 4002
// "bye-from-server" and checks that the read reports exactly that.
func closeByServer(ctx context.Context, c *echoClient) (string, error) {
	conn, err := c.dial(ctx, "/server-close")
	if err != nil {
		return "", fmt.Errorf("Dial /server-close: %w", err)
	}
	defer conn.CloseNow()
	if err := conn.WriteMessage(ctx, fastws.Text, []byte("close:4002:bye-from-server")); err != nil {
		return "", fmt.Errorf("WriteMessage: %w", err)
	}
	typ, msg, err := conn.ReadMessage(ctx)
	var ce *fastws.CloseError
	switch {
	case err == nil:
		return "", fmt.Errorf("got a %v message of %d bytes instead of the close", typ, len(msg))
	case !errors.As(err, &ce):
		return "", fmt.Errorf("ReadMessage: %v, want a *fastws.CloseError", err)
	case ce.Code != 4002 || ce.Reason != "bye-from-server":
		return "", fmt.Errorf("closed with %d %q, want 4002 %q", ce.Code, ce.Reason, "bye-from-server")
	}
	if err := conn.CloseContext(ctx, fastws.CloseNormal, ""); err != nil {
		return "", fmt.Errorf("Close after the server's close: %v, want nil (the handshake completed)", err)
	}
	return fmt.Sprintf("read returned %v", err), nil
}
