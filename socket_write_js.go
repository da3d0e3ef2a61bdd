package fastws

import (
	"fmt"
	"net"
	"os"
	"syscall/js"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// sendBufferLimit is how much the browser may hold unsent (its
// bufferedAmount) before the next message waits. The WebSocket API
// never blocks a send and has no event for a drained buffer, so without
// a bound a writer faster than the network fills the page's memory;
// the wait is what a write's context and deadline bound. Sending 64 MiB
// to a local server from headless Chromium, 1 MiB was as fast as no
// bound within the runs' noise (25-40 MB/s against 27-44, the wasm
// sender being the bottleneck), where 64 KiB took two to four times as
// long.
const sendBufferLimit = 1 << 20

// Write takes the bytes of the frames the Conn sends, in whatever
// pieces the Conn writes them, and sends each message once its last
// frame is complete: the browser sends only whole messages. A close
// frame becomes the browser's close with its code and reason; pings and
// pongs never come (Conn.Ping is refused, and no ping reaches the Conn
// to answer).
func (s *browserSocket) Write(p []byte) (int, error) {
	select {
	case <-s.done:
		return 0, net.ErrClosed
	case <-s.wd.wait():
		return 0, os.ErrDeadlineExceeded
	default:
	}
	s.wbuf = append(s.wbuf[:0], p...)
	b := s.wbuf
	for len(b) > 0 {
		n, err := s.frames.Next(b, &s.ev)
		b = b[n:]
		if err != nil {
			// The Conn's Sender checked the frame already.
			return 0, fmt.Errorf("fastws: internal error: the browser socket cannot parse the Conn's frame: %w", err)
		}
		switch {
		case s.ev.Kind == wsframe.DataEvent:
			err = s.data()
		case s.ev.Kind == wsframe.ControlEvent && s.ev.Header.Opcode == wsframe.OpClose:
			err = s.sendClose(s.ev.Payload)
		}
		if err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// data gathers a message's payload and sends the message at its end. A
// message whose single frame came in one Write, the usual case, is sent
// from the Write's copy without being gathered.
func (s *browserSocket) data() error {
	ev := &s.ev
	if len(s.msg) == 0 && ev.First && ev.EndOfMessage() && ev.Header.Opcode != wsframe.OpContinuation {
		return s.send(ev.Message, ev.Payload)
	}
	s.msg = append(s.msg, ev.Payload...)
	if !ev.EndOfMessage() {
		return nil
	}
	err := s.send(ev.Message, s.msg)
	s.msg = s.msg[:0]
	if cap(s.msg) > 64<<10 {
		s.msg = nil // a large message's buffer is not kept for the next
	}
	return err
}

// send hands one message to the browser, once its send buffer is below
// sendBufferLimit. While the browser is closing, a message is dropped
// as the browser itself would drop it: the closing handshake is under
// way and the server reads no more.
func (s *browserSocket) send(op wsframe.Opcode, p []byte) error {
	if err := s.waitSendBuffer(); err != nil {
		return err
	}
	switch s.readyState() {
	case wsOpen:
	case wsClosing:
		return nil
	default:
		return fmt.Errorf("fastws: the browser's WebSocket is closed: %w", net.ErrClosed)
	}
	if op == wsframe.OpText {
		return jsTry(func() { s.ws.Call("send", string(p)) })
	}
	arr := jsUint8Array.New(len(p))
	js.CopyBytesToJS(arr, p)
	return jsTry(func() { s.ws.Call("send", arr) })
}

// waitSendBuffer waits until the browser holds at most sendBufferLimit
// bytes unsent, polling (the API has no event for it) from every
// millisecond up to every 16, until the write deadline or Close.
func (s *browserSocket) waitSendBuffer() error {
	var timer *time.Timer
	for delay := time.Millisecond; s.ws.Get("bufferedAmount").Int() > sendBufferLimit; delay = min(2*delay, 16*time.Millisecond) {
		if timer == nil {
			timer = time.NewTimer(delay)
			defer timer.Stop()
		} else {
			timer.Reset(delay)
		}
		select {
		case <-timer.C:
		case <-s.wd.wait():
			return os.ErrDeadlineExceeded
		case <-s.done:
			return net.ErrClosed
		}
	}
	return nil
}

// sendClose closes the browser's WebSocket with the close frame's code
// and reason. A page may close with 1000 or 3000-4999 only: another code
// (one the Conn fails the connection with, 1002 or 1009, or one the
// application chose, 1001) closes it without a code, and the error
// says why. Once the browser is closing, the closing handshake is its
// own: the frame, an answer to the server's, has nothing left to do.
func (s *browserSocket) sendClose(payload []byte) error {
	if s.readyState() != wsOpen {
		return nil
	}
	code, reason, _ := wsframe.ParseClosePayload(payload) // checked by the Conn's Sender
	switch {
	case len(payload) == 0:
		return jsTry(func() { s.ws.Call("close") })
	case code == CloseNormal || code >= 3000 && code <= 4999:
		return jsTry(func() { s.ws.Call("close", int(code), string(reason)) })
	}
	_ = jsTry(func() { s.ws.Call("close") })
	return &browserError{
		what: fmt.Sprintf("close code %d is", code),
		why:  "a page may close with 1000 or 3000-4999 only, so the connection was closed without a code",
	}
}
