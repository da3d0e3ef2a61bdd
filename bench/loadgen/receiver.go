package loadgen

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/fastws/fastws/wsframe"
)

// receiver follows the frames of one connection's echo as they arrive in
// arbitrary pieces, keeping nothing but the few bytes of a split header:
// the load generator counts the echo, it does not store it.
type receiver struct {
	hdr    [wsframe.MaxHeaderSize]byte
	hdrLen int // bytes of a split header held in hdr

	remaining int64 // payload bytes of the current frame still to come
	control   bool  // the current frame is a control frame (skipped)
	fin       bool  // the current data frame ends the message
	started   bool  // a data frame of the message has arrived
	got       int64 // data payload bytes of the message so far
}

// errClosedByServer means the server sent a close frame.
var errClosedByServer = errors.New("loadgen: server sent a close frame")

// feed consumes b, which follows the bytes fed before. It reports whether
// b completed the echo of want (the payload sent; compared byte for byte
// when verify is set). One message is in flight at a time, so bytes after
// a complete echo are a protocol error.
func (r *receiver) feed(b, want []byte, verify bool) (done bool, err error) {
	for len(b) > 0 {
		if r.remaining == 0 {
			if b, err = r.header(b, int64(len(want))); err != nil || r.hdrLen > 0 {
				return false, err
			}
			if r.remaining == 0 && r.frameEnd() {
				return r.complete(b, want)
			}
			continue
		}
		k := int(min(r.remaining, int64(len(b))))
		if !r.control {
			if verify && !bytes.Equal(b[:k], want[r.got:r.got+int64(k)]) {
				return false, fmt.Errorf("loadgen: echo differs from the message sent near byte %d", r.got)
			}
			r.got += int64(k)
		}
		r.remaining -= int64(k)
		b = b[k:]
		if r.remaining == 0 && r.frameEnd() {
			return r.complete(b, want)
		}
	}
	return false, nil
}

// header parses the frame header at the start of b, or keeps b's bytes in
// r.hdr when the header is split, and returns the rest of b.
func (r *receiver) header(b []byte, size int64) ([]byte, error) {
	src := b
	if r.hdrLen > 0 {
		n := copy(r.hdr[r.hdrLen:], b)
		src = r.hdr[:r.hdrLen+n]
	}
	h, n, err := wsframe.ParseHeader(src)
	if err != nil {
		return nil, err
	}
	if n == 0 { // the header is not all there yet
		if r.hdrLen > 0 {
			r.hdrLen = len(src)
		} else {
			r.hdrLen = copy(r.hdr[:], b)
		}
		return nil, nil
	}
	rest := b[n-r.hdrLen:]
	r.hdrLen = 0
	if h.Masked || h.Rsv != 0 {
		return nil, fmt.Errorf("loadgen: bad server frame header %+v", h)
	}
	switch {
	case h.Opcode == wsframe.OpClose:
		return nil, errClosedByServer
	case h.Opcode.IsControl():
		r.control = true // a ping or pong: its payload is skipped
	case h.Opcode == wsframe.OpContinuation && !r.started,
		h.Opcode != wsframe.OpContinuation && r.started:
		return nil, fmt.Errorf("loadgen: unexpected %v frame", h.Opcode)
	default:
		r.control = false
		r.started = true
		r.fin = h.Fin
		if r.got+h.Length > size {
			return nil, fmt.Errorf("loadgen: echo longer than the %d bytes sent", size)
		}
	}
	r.remaining = h.Length
	return rest, nil
}

// frameEnd is called when a frame's payload is complete and reports
// whether it completed the message.
func (r *receiver) frameEnd() bool { return !r.control && r.fin }

// complete checks the finished echo and resets r for the next one.
func (r *receiver) complete(rest, want []byte) (bool, error) {
	got := r.got
	*r = receiver{}
	if got != int64(len(want)) {
		return false, fmt.Errorf("loadgen: echo of %d bytes, sent %d", got, len(want))
	}
	if len(rest) > 0 {
		return false, fmt.Errorf("loadgen: %d unexpected bytes after the echo", len(rest))
	}
	return true, nil
}
