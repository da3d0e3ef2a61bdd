package fastws

import (
	"io"
	"net"
	"os"
	"syscall/js"

	"github.com/fastws/fastws/wsframe"
)

// inbound is one message or the close the browser delivered, as the
// bytes of the frame a server would have sent: the header, then the
// payload. A binary payload stays in JavaScript's memory until Read
// copies it straight into the Conn's buffer; a text payload is a Go
// string, since its UTF-8 length is needed for the header.
type inbound struct {
	hdr  [wsframe.MaxHeaderSize]byte
	hlen int
	bin  js.Value // a Uint8Array, for a binary payload
	text string   // a text or close payload
	n    int      // the payload's length
	off  int      // bytes of header and payload Read has handed out
}

func newInbound(op wsframe.Opcode, n int) inbound {
	e := inbound{n: n}
	e.hlen = len(wsframe.AppendHeader(e.hdr[:0], wsframe.Header{Fin: true, Opcode: op, Length: int64(n)}))
	return e
}

// read copies the next bytes of e into p and reports whether e is done.
func (e *inbound) read(p []byte) (int, bool) {
	k := 0
	if e.off < e.hlen {
		k = copy(p, e.hdr[e.off:e.hlen])
		e.off += k
	}
	if pos := e.off - e.hlen; pos >= 0 && k < len(p) {
		m := min(len(p)-k, e.n-pos)
		switch {
		case m == 0:
		case e.bin.IsUndefined():
			copy(p[k:k+m], e.text[pos:])
		case pos == 0 && m == e.n:
			js.CopyBytesToGo(p[k:k+m], e.bin)
		default:
			js.CopyBytesToGo(p[k:k+m], e.bin.Call("subarray", pos, pos+m))
		}
		e.off += m
		k += m
	}
	return k, e.off == e.hlen+e.n
}

// delivered is the message event.
func (s *browserSocket) delivered(ev js.Value) {
	data := ev.Get("data")
	var e inbound
	if data.Type() == js.TypeString {
		text := data.String()
		e = newInbound(wsframe.OpText, len(text))
		e.text = text
	} else {
		bin := jsUint8Array.New(data) // a view of the ArrayBuffer: no copy
		e = newInbound(wsframe.OpBinary, bin.Length())
		e.bin = bin
	}
	s.mu.Lock()
	s.in = append(s.in, e)
	s.notifyLocked()
	s.mu.Unlock()
}

// closeEvent is the close event: the server's close frame (or the end of
// a handshake that failed) has come, and the TCP connection is gone. The
// event's code is the one in the close frame the browser received, which
// the Conn then reads as if it came from the server. 1006 and 1015 say
// there was no close frame: the stream just ends, which the Conn reports
// as CloseAbnormal.
func (s *browserSocket) closeEvent(ev js.Value) {
	code := CloseCode(ev.Get("code").Int())
	reason := jsString(ev.Get("reason"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.isEnded {
		return
	}
	s.isEnded = true
	close(s.ended)
	if code == CloseNoStatus || code.ValidOnWire() {
		var buf [wsframe.MaxControlPayload]byte
		payload := wsframe.AppendClosePayload(buf[:0], code, reason)
		e := newInbound(wsframe.OpClose, len(payload))
		e.text = string(payload)
		s.in = append(s.in, e)
	}
	s.notifyLocked()
}

// Read hands out the delivered messages as frames, then io.EOF once the
// browser's connection has ended. It waits for the browser until the
// read deadline.
func (s *browserSocket) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		select {
		case <-s.rd.wait():
			return 0, os.ErrDeadlineExceeded
		default:
		}
		s.mu.Lock()
		if len(s.in) > 0 {
			n := s.takeLocked(p)
			s.mu.Unlock()
			return n, nil
		}
		ended, closed, changed := s.isEnded, s.closed, s.changed
		s.mu.Unlock()
		switch {
		case ended:
			return 0, io.EOF
		case closed:
			return 0, net.ErrClosed
		}
		select {
		case <-changed:
		case <-s.rd.wait():
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// takeLocked fills p from the queue, across messages: many small
// messages take one Read.
func (s *browserSocket) takeLocked(p []byte) int {
	n := 0
	for n < len(p) && len(s.in) > 0 {
		k, done := s.in[0].read(p[n:])
		n += k
		if done {
			s.in[0] = inbound{}
			s.in = s.in[1:]
		}
	}
	if len(s.in) == 0 {
		s.in = nil // let the backing array go: a burst may have grown it
	}
	return n
}
