package fastws

import (
	"errors"
	"sync"
	"syscall/js"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// browserSocket is a browser's WebSocket object as the transport of a
// Conn: the messages the browser delivers are handed to the Conn as the
// frames a server would have sent (socket_read_js.go), and the frames the
// Conn writes become calls to send and close (socket_write_js.go).
//
// Turning messages back into frames costs, per message, a header, a copy,
// and the client's masking undone by the socket; it buys the whole of
// Conn unchanged: its limits, UTF-8
// checks, contexts and deadlines, resumable reads, NextReader and
// NextWriter, HandleMessages, Stream and the closing handshake's state,
// with nothing of it written twice for the browser. Only what the
// browser's API cannot express (raw frames, pings, the server side) is
// refused, in unsupported_js.go.
type browserSocket struct {
	ws    js.Value
	funcs []js.Func // the event handlers, released once the socket is closed

	opened chan struct{} // closed by the open event
	ended  chan struct{} // closed by the close event
	done   chan struct{} // closed by Close

	rd, wd socketDeadline

	mu      sync.Mutex
	in      []inbound     // delivered, not yet read
	changed chan struct{} // closed and replaced when in, ended or done change
	isEnded bool          // the close event came: after in, the stream ends
	closed  bool          // Close was called

	// The write side, used by one Write at a time (the Conn's wire lock).
	frames wsframe.Parser // checks and unmasks the Conn's frames
	ev     wsframe.Event
	wbuf   []byte // a copy of what Write was given: Write may not unmask the caller's bytes
	msg    []byte // the message gathered from frames split across Writes
}

// The values of a WebSocket's readyState.
const (
	wsConnecting = 0
	wsOpen       = 1
	wsClosing    = 2
)

var (
	jsWebSocket  = js.Global().Get("WebSocket")
	jsUint8Array = js.Global().Get("Uint8Array")
	jsArray      = js.Global().Get("Array")
)

// openBrowserSocket creates the browser's WebSocket; the open or close
// event then says how the handshake went.
func openBrowserSocket(url string, protocols []string) (*browserSocket, error) {
	if jsWebSocket.Type() != js.TypeFunction {
		return nil, errors.New("this JavaScript environment has no WebSocket (browsers, Deno and Node.js 22 or later have one)")
	}
	s := &browserSocket{
		opened:  make(chan struct{}),
		ended:   make(chan struct{}),
		done:    make(chan struct{}),
		rd:      newSocketDeadline(),
		wd:      newSocketDeadline(),
		changed: make(chan struct{}),
	}
	s.frames.Reset(wsframe.Config{Role: ServerSide, MaxMessageSize: -1, MaxFrameSize: -1})
	protos := jsArray.New(len(protocols))
	for i, p := range protocols {
		protos.SetIndex(i, p)
	}
	// The constructor throws on a URL or subprotocol list it refuses.
	if err := jsTry(func() { s.ws = jsWebSocket.New(url, protos) }); err != nil {
		return nil, err
	}
	s.ws.Set("binaryType", "arraybuffer")
	s.on("open", func(js.Value) { close(s.opened) })
	s.on("message", s.delivered)
	s.on("close", s.closeEvent)
	return s, nil
}

// on sets the handler of one event. Handlers run on the goroutine that
// runs JavaScript's callbacks, and JavaScript waits for them, so they
// only record what happened and wake the Conn's reader.
func (s *browserSocket) on(event string, handle func(ev js.Value)) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any {
		handle(args[0])
		return nil
	})
	s.funcs = append(s.funcs, f)
	s.ws.Set("on"+event, f)
}

func (s *browserSocket) readyState() int { return s.ws.Get("readyState").Int() }

// Close closes the browser's WebSocket if it is still open, without a
// close code: when the Conn closes the transport, its closing handshake
// is over or abandoned (the browser cannot drop a connection without a
// close frame, so the server sees 1005 where it would see 1006 from a
// native client's CloseNow). Blocked Reads and Writes return; a Read
// still gets what the browser delivered before, so a reader racing
// Close sees the server's close frame rather than ErrClosed.
func (s *browserSocket) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.notifyLocked()
	s.mu.Unlock()
	if st := s.readyState(); st == wsConnecting || st == wsOpen {
		_ = jsTry(func() { s.ws.Call("close") })
	}
	for _, name := range []string{"onopen", "onmessage", "onclose"} {
		s.ws.Set(name, js.Null())
	}
	for _, f := range s.funcs {
		f.Release()
	}
	return nil
}

func (s *browserSocket) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SetReadDeadline is what lets a context or a deadline interrupt a Conn's
// read and leave the connection usable (see deadline.go).
func (s *browserSocket) SetReadDeadline(t time.Time) error {
	s.rd.set(t)
	return nil
}

// SetWriteDeadline bounds the wait for the browser's send buffer to drain
// (see sendBufferLimit); a Write after the deadline fails.
func (s *browserSocket) SetWriteDeadline(t time.Time) error {
	s.wd.set(t)
	return nil
}

// jsString is v if it is a string, and "" if it is anything else (a
// WebSocket of another JavaScript environment may lack the property).
func jsString(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

// jsTry runs f and returns the exception JavaScript threw in it, if any:
// syscall/js panics with it.
func jsTry(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			je, ok := r.(js.Error)
			if !ok {
				panic(r)
			}
			err = je
		}
	}()
	f()
	return nil
}
