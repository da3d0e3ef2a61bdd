package servers

import (
	"bufio"
	"io"
	"net"

	"github.com/gobwas/ws"
)

// serveGobwas uses gobwas/ws's low-level API, its fastest: ws.Upgrade on
// the raw connection, then ReadHeaderBuffer and Cipher with reused
// buffers, echoing frame by frame (which echoes fragmented messages
// faithfully).
func serveGobwas(ln net.Listener) error {
	return acceptEach(ln, upgradedByGobwas(echoGobwas))
}

// echoGobwas reads each payload at an offset of ws.MaxHeaderSize in its
// buffer so that the reply header can be put in front of it in place: the
// frame then leaves in one write, without copying the payload.
func echoGobwas(nc net.Conn) {
	br := bufio.NewReader(nc)
	var hdr [ws.MaxHeaderSize]byte
	var buf []byte
	for {
		h, err := ws.ReadHeaderBuffer(br, hdr[:])
		if err != nil {
			return
		}
		if h.Length > MaxMessageSize {
			_ = ws.WriteFrame(nc, ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusMessageTooBig, "")))
			return
		}
		size := ws.MaxHeaderSize + int(h.Length)
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		payload := buf[ws.MaxHeaderSize:]
		if _, err := io.ReadFull(br, payload); err != nil {
			return
		}
		if h.Masked {
			ws.Cipher(payload, h.Mask, 0)
			h.Masked = false
		}
		switch h.OpCode {
		case ws.OpPong:
			continue
		case ws.OpPing:
			h.OpCode = ws.OpPong
		}
		// WriteHeaderBuffer builds the header in hdr (io.Discard then
		// drops the copy it writes); it goes just before the payload.
		if err := ws.WriteHeaderBuffer(io.Discard, h, hdr[:]); err != nil {
			return
		}
		n := ws.HeaderSize(h)
		frame := buf[ws.MaxHeaderSize-n:]
		copy(frame, hdr[:n])
		if _, err := nc.Write(frame); err != nil || h.OpCode == ws.OpClose {
			return // a close frame has been echoed: the handshake is done
		}
		buf = keep(buf)
	}
}
