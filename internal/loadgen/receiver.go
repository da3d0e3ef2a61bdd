package loadgen

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fastws/fastws/wsframe"
)

// receiver follows the frames of one connection's echo as they arrive in
// arbitrary pieces, keeping nothing but the few bytes of a split header:
// the load generator counts the echo, it does not store it. The one
// exception is a compressed echo that is verified, whose compressed
// payload is gathered to be inflated.
type receiver struct {
	msg echoState // the echo in progress

	// deflate lets the first frame of a message carry RSV1
	// (permessage-deflate was negotiated).
	deflate bool
	// zbuf gathers a verified compressed echo; hist is the server's
	// compression context as far as verified echoes tell it: the
	// plaintext of its compressed messages, its last 32 KiB. Verified
	// echoes are always the first ones of a connection, so hist is
	// complete for as long as it is used.
	zbuf []byte
	hist []byte
	// inflater decompresses them; a loop gives all its connections one.
	inflater *inflater

	// countMismatch makes an echo whose payload differs from the message
	// sent complete anyway, with lastMismatch set, instead of failing the
	// connection: fastws bench counts mismatches and goes on.
	countMismatch bool

	// What the last complete echo was: its bytes on the wire (headers
	// included), whether it was compressed, and whether its payload
	// differed from the message sent (under countMismatch).
	lastWire       int64
	lastCompressed bool
	lastMismatch   bool
}

// echoState is the progress of one echo.
type echoState struct {
	hdr    [wsframe.MaxHeaderSize]byte
	hdrLen int // bytes of a split header held in hdr

	remaining  int64 // payload bytes of the current frame still to come
	control    bool  // the current frame is a control frame (skipped)
	fin        bool  // the current data frame ends the message
	started    bool  // a data frame of the message has arrived
	compressed bool  // the message's first frame has RSV1
	got        int64 // data payload bytes of the message so far (compressed bytes when compressed)
	mismatch   bool  // a verified byte differed (under countMismatch)
	wire       int64 // bytes of every frame since the last echo, headers included
}

// errClosedByServer means the server sent a close frame.
var errClosedByServer = errors.New("loadgen: server sent a close frame")

// feed consumes b, which follows the bytes fed before. It reports whether
// b completed the echo of want (the payload sent; compared byte for byte,
// after inflating a compressed echo, when verify is set). One message is
// in flight at a time, so bytes after a complete echo are a protocol
// error.
func (r *receiver) feed(b, want []byte, verify bool) (done bool, err error) {
	m := &r.msg
	for len(b) > 0 {
		if m.remaining == 0 {
			if b, err = r.header(b, int64(len(want))); err != nil || m.hdrLen > 0 {
				return false, err
			}
			if m.remaining == 0 && m.frameEnd() {
				return r.complete(b, want, verify)
			}
			continue
		}
		k := int(min(m.remaining, int64(len(b))))
		if !m.control {
			switch {
			case !verify || m.mismatch:
			case m.compressed:
				r.zbuf = append(r.zbuf, b[:k]...)
			case !bytes.Equal(b[:k], want[m.got:m.got+int64(k)]):
				if !r.countMismatch {
					return false, fmt.Errorf("loadgen: echo differs from the message sent near byte %d", m.got)
				}
				m.mismatch = true
			}
			m.got += int64(k)
		}
		m.remaining -= int64(k)
		m.wire += int64(k)
		b = b[k:]
		if m.remaining == 0 && m.frameEnd() {
			return r.complete(b, want, verify)
		}
	}
	return false, nil
}

// header parses the frame header at the start of b, or keeps b's bytes in
// r.msg.hdr when the header is split, and returns the rest of b.
func (r *receiver) header(b []byte, size int64) ([]byte, error) {
	m := &r.msg
	src := b
	if m.hdrLen > 0 {
		n := copy(m.hdr[m.hdrLen:], b)
		src = m.hdr[:m.hdrLen+n]
	}
	h, n, err := wsframe.ParseHeader(src)
	if err != nil {
		return nil, err
	}
	if n == 0 { // the header is not all there yet
		if m.hdrLen > 0 {
			m.hdrLen = len(src)
		} else {
			m.hdrLen = copy(m.hdr[:], b)
		}
		return nil, nil
	}
	rest := b[n-m.hdrLen:]
	m.hdrLen = 0
	m.wire += int64(n)
	// RSV1 marks a compressed message on its first frame, and only there.
	rsv1 := r.deflate && h.Rsv == wsframe.Rsv1 && !h.Opcode.IsControl() && h.Opcode != wsframe.OpContinuation
	if h.Masked || (h.Rsv != 0 && !rsv1) {
		return nil, fmt.Errorf("loadgen: bad server frame header %+v", h)
	}
	switch {
	case h.Opcode == wsframe.OpClose:
		return nil, errClosedByServer
	case h.Opcode.IsControl():
		m.control = true // a ping or pong: its payload is skipped
	case h.Opcode == wsframe.OpContinuation && !m.started,
		h.Opcode != wsframe.OpContinuation && m.started:
		return nil, fmt.Errorf("loadgen: unexpected %v frame", h.Opcode)
	default:
		m.control = false
		if !m.started {
			m.compressed = rsv1
		}
		m.started = true
		m.fin = h.Fin
		limit := size
		if m.compressed {
			limit = maxCompressedSize(int(size))
		}
		if m.got+h.Length > limit {
			return nil, fmt.Errorf("loadgen: echo longer than the %d bytes sent", size)
		}
	}
	m.remaining = h.Length
	return rest, nil
}

// frameEnd is called when a frame's payload is complete and reports
// whether it completed the message.
func (m *echoState) frameEnd() bool { return !m.control && m.fin }

// complete checks the finished echo and resets r for the next one.
func (r *receiver) complete(rest, want []byte, verify bool) (bool, error) {
	m := r.msg
	r.msg = echoState{}
	r.lastWire, r.lastCompressed, r.lastMismatch = m.wire, m.compressed, m.mismatch
	if len(rest) > 0 {
		return false, fmt.Errorf("loadgen: %d unexpected bytes after the echo", len(rest))
	}
	if !m.compressed {
		if m.got != int64(len(want)) {
			if r.countMismatch {
				r.lastMismatch = true
				return true, nil
			}
			return false, fmt.Errorf("loadgen: echo of %d bytes, sent %d", m.got, len(want))
		}
		return true, nil
	}
	if m.got == 0 {
		return false, errors.New("loadgen: empty compressed echo")
	}
	if !verify {
		return true, nil
	}
	if r.inflater == nil {
		r.inflater = new(inflater)
	}
	z := append(r.zbuf, InflateEnd...)
	r.zbuf = r.zbuf[:0]
	plain, err := r.inflater.inflate(z, r.hist, len(want))
	if err != nil {
		return false, fmt.Errorf("loadgen: compressed echo (%d bytes) does not inflate: %w", len(z), err)
	}
	if !bytes.Equal(plain, want) {
		if !r.countMismatch {
			return false, fmt.Errorf("loadgen: compressed echo inflates to %d bytes that differ from the %d sent", len(plain), len(want))
		}
		r.lastMismatch = true
	}
	r.hist = AppendHistory(r.hist, want)
	return true, nil
}
