package fastws

import (
	"context"
	"fmt"
	"sync"

	"github.com/fastws/fastws/internal/deflate"
	"github.com/fastws/fastws/wsframe"
)

// A PreparedMessage is a message encoded once for sending to many
// connections: a server's frames are not masked, so the same bytes go to
// every peer. It holds the frame, and the compressed frame for each
// permessage-deflate setting that needs one, made the first time a
// connection with that setting sends it.
//
// What is shared depends on what each connection negotiated:
//   - without permessage-deflate (or for a message under the compression
//     threshold, or typed Uncompressed) every connection sends the one
//     plain frame;
//   - with server_no_context_takeover, the compressed frame depends only
//     on the level and the window, so it is compressed once per distinct
//     (level, window) among the connections;
//   - with context takeover (the default when a client does not offer
//     server_no_context_takeover) each connection's compressor carries
//     its own history, so the message is compressed again for each of
//     them, which costs several times what sending the frame does: at
//     1,000 subscribers, 41.4 µs of server CPU per delivery of 1 KiB
//     JSON against 12.1 µs for the shared frame, 142.7 against 17.0 µs
//     at 16 KiB (bench/results/fanout-deflate-2026-12-03-*.md). A server
//     that broadcasts to many compressed connections makes this cheap by
//     setting CompressionOptions.ServerNoContextTakeover, at some cost in
//     ratio (0.567 of 1 KiB JSON's size on the wire against 0.294).
//
// A client's frames are masked with a fresh key each, so a client Conn
// sends a PreparedMessage as it would any message.
//
// A PreparedMessage is immutable and safe for concurrent use.
type PreparedMessage struct {
	typ     MessageType
	frame   []byte // header and payload, unmasked
	payload []byte // within frame

	mu     sync.Mutex
	zipped []*zippedFrame // by pointer: a loop connection queues &frame
}

// zippedFrame is a message's compressed frame for one compressor setting.
type zippedFrame struct {
	level, bits int
	frame       []byte
}

// NewPreparedMessage encodes a message of type typ (Text or Binary, or'ed
// with Uncompressed to send it uncompressed on every connection) with a
// copy of payload. Text must be valid UTF-8.
func NewPreparedMessage(typ MessageType, payload []byte) (*PreparedMessage, error) {
	switch typ &^ Uncompressed {
	case Text:
		if !wsframe.ValidUTF8(payload) {
			return nil, fmt.Errorf("fastws: NewPreparedMessage: %w", wsframe.ErrInvalidUTF8)
		}
	case Binary:
	default:
		return nil, fmt.Errorf("fastws: NewPreparedMessage: %v is not a data message type", typ)
	}
	h := wsframe.Header{Fin: true, Opcode: wsframe.Opcode(typ &^ Uncompressed), Length: int64(len(payload))}
	var head [wsframe.MaxHeaderSize]byte
	n := len(wsframe.AppendHeader(head[:0], h))
	frame := make([]byte, n+len(payload))
	copy(frame, head[:n])
	copy(frame[n:], payload)
	return &PreparedMessage{typ: typ, frame: frame, payload: frame[n:]}, nil
}

// Type returns the message's type, as given to NewPreparedMessage.
func (pm *PreparedMessage) Type() MessageType { return pm.typ }

// Payload returns the message's payload, which must not be modified.
func (pm *PreparedMessage) Payload() []byte { return pm.payload }

// Len returns the length of the payload.
func (pm *PreparedMessage) Len() int { return len(pm.payload) }

// compressible reports whether a connection compressing from threshold
// bytes compresses this message.
func (pm *PreparedMessage) compressible(threshold int) bool {
	return pm.typ&Uncompressed == 0 && len(pm.payload) >= threshold
}

// zippedFrame returns the message's compressed frame for a compressor
// without context takeover at level and bits, compressing it the first
// time that setting asks.
func (pm *PreparedMessage) zippedFrame(level, bits int) *[]byte {
	pm.mu.Lock()
	defer pm.mu.Unlock()
	for _, z := range pm.zipped {
		if z.level == level && z.bits == bits {
			return &z.frame
		}
	}
	body := deflate.NewCompressor(level, bits, false).Compress(nil, pm.payload)
	h := wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.Opcode(pm.typ &^ Uncompressed), Length: int64(len(body))}
	frame := wsframe.AppendHeader(make([]byte, 0, wsframe.MaxHeaderSize+len(body)), h)
	frame = append(frame, body...)
	z := &zippedFrame{level: level, bits: bits, frame: frame}
	pm.zipped = append(pm.zipped, z)
	return &z.frame
}

// sharedFrame returns the frame a connection whose compressor is comp
// (nil without permessage-deflate) and threshold sends for pm, or nil
// when the connection must compress pm itself (context takeover). The
// frame is pm's, shared by every connection that sends it, and never
// written to; the slice header pointed to is as immutable, so a loop
// connection can queue the pointer itself.
func (pm *PreparedMessage) sharedFrame(comp *deflate.Compressor, threshold int) *[]byte {
	if comp == nil || !pm.compressible(threshold) {
		return &pm.frame
	}
	if level, bits, ok := comp.Shared(); ok {
		return pm.zippedFrame(level, bits)
	}
	return nil
}

// WritePrepared sends pm as WriteMessage would send its payload, using
// the frame pm already holds where the connection's settings allow (see
// PreparedMessage).
func (c *Conn) WritePrepared(ctx context.Context, pm *PreparedMessage) error {
	if c.role == ClientSide || c.dfl != nil && c.dfl.takeover && pm.compressible(c.dfl.threshold) {
		return c.WriteMessage(ctx, pm.typ, pm.payload)
	}
	stop, err := c.beginMessageWrite(ctx)
	if err != nil {
		return err
	}
	defer c.endMessageWrite(stop)
	frame, h := c.preparedFrame(pm)
	if err := c.sender.Check(h); err != nil {
		return sendError(h.Opcode, err)
	}
	return ctxErr(ctx, c.writeEncodedLocked(frame))
}

// preparedFrame returns the frame c sends for pm, where the connection's
// settings let it send one pm holds (pm's own, or the compressed frame
// shared by every connection with c's compression setting), and the
// header the sender checks it as.
func (c *Conn) preparedFrame(pm *PreparedMessage) ([]byte, wsframe.Header) {
	h := wsframe.Header{Fin: true, Opcode: wsframe.Opcode(pm.typ &^ Uncompressed)}
	frame := pm.frame
	if c.dfl != nil {
		frame = *pm.sharedFrame(c.dfl.comp, c.dfl.threshold)
		if len(frame) > 0 && frame[0]&0x40 != 0 {
			h.Rsv = wsframe.Rsv1
		}
	}
	return frame, h
}

// writeEncodedLocked sends a frame encoded beforehand; the caller holds
// wireMu and has checked the frame with the sender.
func (c *Conn) writeEncodedLocked(frame []byte) error {
	if c.writeErr != nil {
		return c.writeErr
	}
	if c.isClosed() {
		return ErrClosed
	}
	if err := c.write(frame, nil); err != nil {
		return c.writeFailed(err)
	}
	return nil
}
