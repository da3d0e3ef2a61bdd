package conformance

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fastws/fastws/wsframe"
)

// closeWait is how long the suite, as a client, waits for a server to
// close TCP after the closing handshake before closing it itself (and
// recording that the server left it to the client), at time scale 1.
const closeWait = 2 * time.Second

// maxIncoming bounds one message from the testee, so that a broken testee
// cannot make the suite allocate without limit.
const maxIncoming = 256 << 20

// CloseExpectation is how a case expects the connection to end.
type CloseExpectation struct {
	BySuite      bool  // the suite, not the testee, begins the closing handshake
	Codes        []int // close codes the testee may send (its absence is accepted)
	RequireClean bool  // the closing handshake must complete
	// LaxCodes are codes that fail the connection as required but are less
	// specific than Codes (1002 for invalid UTF-8, where 1007 is the
	// code RFC 6455 designates): NON-STRICT rather than WRONG CODE.
	LaxCodes []int
}

// Session is one case's connection to the testee, from the suite's side:
// what a case uses to send frames and to state what it expects.
type Session struct {
	conn    net.Conn
	br      *bufio.Reader
	client  bool // the suite is the client: its frames are masked
	start   time.Time
	scale   float64 // every time limit is multiplied by it (TimeScale)
	writeMu sync.Mutex
	done    chan struct{} // closed when the connection has ended
	// progress is signalled after every event, for WaitEvents.
	progress chan struct{}
	deflate  *sessionDeflate // permessage-deflate, when negotiated
	// unimplemented says why the testee could not be tested on this case
	// (it lacks an optional feature the case needs).
	unimplemented string

	mu             sync.Mutex
	received       []Event
	times          []time.Duration // when each event arrived
	expected       map[Verdict][]Event
	expectClose    CloseExpectation
	suppressClose  bool
	closeSent      bool
	killed         bool // the suite ended the connection because time ran out
	closeRecvd     bool
	closedBySuite  bool
	droppedBySuite bool
	remoteCode     *int
	remoteReason   string
	violation      string
	notes          []string
	sent           int64 // bytes written to the testee
	ended          bool
	endedAt        time.Duration
	killAt         time.Time
	onEvent        func(Event) // a case's hook, called after each event
}

// newSession starts a session whose time limits are multiplied by scale
// (values below 1 count as 1).
func newSession(conn net.Conn, br *bufio.Reader, client bool, scale float64) *Session {
	return &Session{
		conn:     conn,
		br:       br,
		client:   client,
		start:    time.Now(),
		scale:    scale,
		done:     make(chan struct{}),
		progress: make(chan struct{}, 1),
		expected: map[Verdict][]Event{},
	}
}

// scaled is d stretched by the session's time scale.
func (s *Session) scaled(d time.Duration) time.Duration { return scaleDuration(d, s.scale) }

// Expect states one acceptable outcome: the events the suite should
// receive, in order, for verdict v.
func (s *Session) Expect(v Verdict, events ...Event) {
	s.mu.Lock()
	s.expected[v] = append([]Event{}, events...)
	s.mu.Unlock()
}

// ExpectClose states how the connection should end.
func (s *Session) ExpectClose(c CloseExpectation) {
	s.mu.Lock()
	s.expectClose = c
	s.mu.Unlock()
}

// SuppressClose stops the suite from closing on its own once the expected
// events have arrived; the case does it (or deliberately does not).
func (s *Session) SuppressClose() {
	s.mu.Lock()
	s.suppressClose = true
	s.mu.Unlock()
}

// OnEvent registers a hook called after each event, for cases that react
// to what they receive.
func (s *Session) OnEvent(f func(Event)) {
	s.mu.Lock()
	s.onEvent = f
	s.mu.Unlock()
}

// Note adds a line to the case's report.
func (s *Session) Note(format string) {
	s.mu.Lock()
	s.notes = append(s.notes, format)
	s.mu.Unlock()
}

// KillAfter drops the TCP connection if it is still open after d (times
// the time scale).
func (s *Session) KillAfter(d time.Duration) {
	s.mu.Lock()
	s.killAt = time.Now().Add(s.scaled(d))
	s.mu.Unlock()
}

// Open reports whether the connection is still open.
func (s *Session) Open() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Wait waits for d (times the time scale: a slow testee gets longer to
// act before the wait counts as its answer). If the connection is still
// open then, it records Timeout(label) and returns true; if it ended, it
// returns false at once.
func (s *Session) Wait(d time.Duration, label string) bool {
	t := time.NewTimer(s.scaled(d))
	defer t.Stop()
	select {
	case <-s.done:
		return false
	case <-t.C:
	}
	if !s.Open() {
		return false
	}
	s.record(Timeout(label))
	return true
}

// WaitEvents waits until n events have been received, the connection ends
// or d (times the time scale) passes, and reports whether n arrived.
func (s *Session) WaitEvents(n int, d time.Duration) bool {
	t := time.NewTimer(s.scaled(d))
	defer t.Stop()
	for {
		s.mu.Lock()
		got := len(s.received)
		s.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-s.progress:
		case <-s.done:
			s.mu.Lock()
			got = len(s.received)
			s.mu.Unlock()
			return got >= n
		case <-t.C:
			return false
		}
	}
}

// progressNote says how far a case got: for a note on a case that ran out
// of time.
func (s *Session) progressNote() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	note := fmt.Sprintf("%d of %d expected events arrived", len(s.received), len(s.expected[OK]))
	if n := len(s.times); n > 0 {
		note += fmt.Sprintf(" (the last %v in)", s.times[n-1].Round(time.Millisecond))
	}
	return note + fmt.Sprintf("; the suite sent %d bytes", s.sent)
}

// Frame is a frame for a case to send, given bit by bit so that cases can
// break every rule.
type Frame struct {
	Fin     bool
	Rsv     byte // wsframe.Rsv1|Rsv2|Rsv3
	Opcode  wsframe.Opcode
	Payload []byte
	// Length, when not zero, is put in the header instead of
	// len(Payload): a frame that announces more than it carries.
	Length int64
	// Unmasked sends a client frame without a mask (a rule broken).
	Unmasked bool
	// Masked sends a server frame with a mask (a rule broken).
	Masked bool
}

// encode returns the frame's bytes as the suite sends them: masked when
// the suite is the client (unless told otherwise).
func (s *Session) encode(f Frame) []byte {
	h := wsframe.Header{Fin: f.Fin, Rsv: f.Rsv, Opcode: f.Opcode, Length: int64(len(f.Payload))}
	if f.Length != 0 {
		h.Length = f.Length
	}
	if (s.client && !f.Unmasked) || (!s.client && f.Masked) {
		h.Masked = true
		binary.LittleEndian.PutUint32(h.Mask[:], rand.Uint32()) // safe from any goroutine
	}
	b := wsframe.AppendHeader(make([]byte, 0, wsframe.MaxHeaderSize+len(f.Payload)), h)
	start := len(b)
	b = append(b, f.Payload...)
	if h.Masked {
		wsframe.Mask(h.Mask, 0, b[start:])
	}
	return b
}

// Send sends one frame in one write.
func (s *Session) Send(f Frame) { s.SendRaw(s.encode(f), 0, 0) }

// SendChopped sends one frame in pieces of chop bytes, pausing delay
// between them.
func (s *Session) SendChopped(f Frame, chop int, delay time.Duration) {
	s.SendRaw(s.encode(f), chop, delay)
}

// SendRaw writes bytes as they are, in pieces of chop bytes (all at once
// when chop is 0) with delay between pieces. Writes to a closed connection
// are dropped.
func (s *Session) SendRaw(b []byte, chop int, delay time.Duration) {
	if chop <= 0 {
		chop = len(b)
	}
	for len(b) > 0 {
		n := min(chop, len(b))
		s.writeMu.Lock()
		w, err := s.conn.Write(b[:n])
		s.writeMu.Unlock()
		s.mu.Lock()
		s.sent += int64(w)
		s.mu.Unlock()
		if err != nil {
			return
		}
		b = b[n:]
		if delay > 0 && len(b) > 0 {
			time.Sleep(delay)
		}
	}
}

// Encode returns the bytes of a frame as Send would write them, for cases
// that assemble several frames into one write.
func (s *Session) Encode(f Frame) []byte { return s.encode(f) }

// SendMessage sends a whole message in one frame.
func (s *Session) SendMessage(op wsframe.Opcode, payload []byte) {
	s.Send(Frame{Fin: true, Opcode: op, Payload: payload})
}

// SendCompressed sends a message compressed with the negotiated
// permessage-deflate, in frames of at most size compressed bytes (one
// frame when size is 0); RSV1 marks the first.
func (s *Session) SendCompressed(op wsframe.Opcode, payload []byte, size int) {
	comp := s.deflate.compress(payload)
	if size <= 0 {
		size = len(comp) + 1
	}
	var out []byte
	for first := true; first || len(comp) > 0; first = false {
		n := min(size, len(comp))
		f := Frame{Fin: n == len(comp), Opcode: opCont, Payload: comp[:n]}
		if first {
			f.Opcode, f.Rsv = op, wsframe.Rsv1
		}
		out = append(out, s.encode(f)...)
		comp = comp[n:]
	}
	s.SendRaw(out, 0, 0)
}

// Deflated reports whether permessage-deflate was negotiated.
func (s *Session) Deflated() bool { return s.deflate != nil }

// Unimplemented marks the case as not applicable to the testee, which
// lacks an optional feature the case needs.
func (s *Session) Unimplemented(why string) {
	s.mu.Lock()
	s.unimplemented = why
	s.mu.Unlock()
}

// SendFragmented sends a message in frames of at most size bytes.
func (s *Session) SendFragmented(op wsframe.Opcode, payload []byte, size int) {
	var out []byte
	for first := true; first || len(payload) > 0; first = false {
		n := min(size, len(payload))
		f := Frame{Fin: n == len(payload), Opcode: wsframe.OpContinuation, Payload: payload[:n]}
		if first {
			f.Opcode = op
		}
		out = append(out, s.encode(f)...)
		payload = payload[n:]
		if len(out) > 1<<20 {
			s.SendRaw(out, 0, 0)
			out = out[:0]
		}
	}
	s.SendRaw(out, 0, 0)
}

// SendClose begins the closing handshake with code (-1 for an empty close
// payload) and reason.
func (s *Session) SendClose(code int, reason string) {
	var p []byte
	if code >= 0 {
		p = binary.BigEndian.AppendUint16(nil, uint16(code))
		p = append(p, reason...)
	}
	s.SendCloseRaw(p)
}

// SendCloseRaw sends a close frame with any payload, well-formed or not.
func (s *Session) SendCloseRaw(payload []byte) {
	s.mu.Lock()
	if s.closeSent {
		s.mu.Unlock()
		return
	}
	s.closeSent = true
	if !s.closeRecvd {
		s.closedBySuite = true
	}
	s.mu.Unlock()
	s.Send(Frame{Fin: true, Opcode: wsframe.OpClose, Payload: payload})
}

// kill ends a connection that outstayed its case: the testee neither
// failed it nor finished the closing handshake in time.
func (s *Session) kill() {
	s.mu.Lock()
	if !s.ended {
		s.killed = true
	}
	s.mu.Unlock()
	s.drop()
}

// drop closes the TCP connection from the suite's side.
func (s *Session) drop() {
	s.mu.Lock()
	if !s.ended {
		s.droppedBySuite = true
	}
	s.mu.Unlock()
	s.conn.Close()
}

// record appends an event and, once the expected events have all
// arrived, closes on the case's behalf when it expects the suite to.
func (s *Session) record(e Event) {
	s.mu.Lock()
	s.received = append(s.received, e)
	s.times = append(s.times, time.Since(s.start))
	hook := s.onEvent
	finish := s.expectClose.BySuite && !s.suppressClose && !s.closeSent &&
		eventsEqual(s.received, s.expected[OK])
	code := 1000
	if len(s.expectClose.Codes) > 0 {
		code = s.expectClose.Codes[0]
	}
	s.mu.Unlock()
	select {
	case s.progress <- struct{}{}:
	default: // a signal is already pending
	}
	if hook != nil {
		hook(e)
	}
	if finish {
		s.SendClose(code, "")
	}
}

// fail records a rule the testee broke and fails the connection as RFC
// 6455 asks: a close frame with the code, then the end of the connection.
func (s *Session) fail(violation string, code int) {
	s.mu.Lock()
	if s.violation == "" {
		s.violation = violation
	}
	s.mu.Unlock()
	s.SendClose(code, "")
	s.drop()
}

// end marks the connection as over.
func (s *Session) end() {
	s.mu.Lock()
	if !s.ended {
		s.ended = true
		s.endedAt = time.Since(s.start)
		close(s.done)
	}
	s.mu.Unlock()
}

// readLoop reads the testee's frames until the connection ends, acting on
// control frames as a conforming endpoint would.
func (s *Session) readLoop() {
	defer s.end()
	defer s.conn.Close()
	var msg []byte
	var msgOp wsframe.Opcode
	var compressed bool
	for {
		h, payload, err := s.readFrame()
		if err != nil {
			if v, ok := err.(violationError); ok {
				s.fail(string(v), 1002)
			}
			return
		}
		if h.Opcode.IsReserved() {
			s.fail("testee sent reserved opcode "+h.Opcode.String(), 1002)
			return
		}
		firstData := !h.Opcode.IsControl() && h.Opcode != wsframe.OpContinuation
		if h.Rsv != 0 && !(s.deflate != nil && h.Rsv == wsframe.Rsv1 && firstData) {
			s.fail("testee set reserved bits it did not negotiate, or RSV1 on a frame that does not begin a message", 1002)
			return
		}
		if h.Opcode.IsControl() {
			if !h.Fin || len(payload) > wsframe.MaxControlPayload {
				s.fail("testee sent a fragmented or oversized control frame", 1002)
				return
			}
			if !s.control(h.Opcode, payload) {
				return
			}
			continue
		}
		s.mu.Lock()
		closing := s.closeRecvd
		s.mu.Unlock()
		if closing {
			s.fail("testee sent a data frame after its close frame", 1002)
			return
		}
		switch {
		case h.Opcode == wsframe.OpContinuation && msgOp == 0:
			s.fail("testee sent a continuation frame without a message", 1002)
			return
		case h.Opcode != wsframe.OpContinuation && msgOp != 0:
			s.fail("testee began a message inside an unfinished one", 1002)
			return
		case h.Opcode != wsframe.OpContinuation:
			msgOp, msg = h.Opcode, msg[:0]
			compressed = h.Rsv&wsframe.Rsv1 != 0
		}
		if len(msg)+len(payload) > maxIncoming {
			s.fail("testee sent a message larger than the suite accepts", 1009)
			return
		}
		msg = append(msg, payload...)
		if !h.Fin {
			continue
		}
		data := msg
		if compressed {
			if data, err = s.deflate.inflate(msg); err != nil {
				s.fail(err.Error(), 1007)
				return
			}
		}
		if msgOp == wsframe.OpText && !utf8.Valid(data) {
			s.fail("testee sent a text message that is not UTF-8", 1007)
			return
		}
		s.record(Event{Kind: "message", Binary: msgOp == wsframe.OpBinary, Payload: append([]byte(nil), data...)})
		msgOp = 0
	}
}

// control acts on a control frame; it returns false when reading is over.
func (s *Session) control(op wsframe.Opcode, payload []byte) bool {
	switch op {
	case wsframe.OpPing:
		s.record(Ping(payload))
		s.mu.Lock()
		closing := s.closeSent
		s.mu.Unlock()
		if !closing {
			s.Send(Frame{Fin: true, Opcode: wsframe.OpPong, Payload: payload})
		}
	case wsframe.OpPong:
		s.record(Pong(payload))
	case wsframe.OpClose:
		code, reason, err := wsframe.ParseClosePayload(payload)
		s.mu.Lock()
		s.closeRecvd = true
		if len(payload) >= 2 {
			c := int(binary.BigEndian.Uint16(payload))
			s.remoteCode = &c
			s.remoteReason = string(payload[2:])
		}
		s.mu.Unlock()
		if err != nil {
			s.fail("testee sent an invalid close frame: "+err.Error(), 1002)
			return false
		}
		_ = reason
		echo := -1
		if code != wsframe.CloseNoStatus {
			echo = int(code)
		}
		s.SendClose(echo, "") // a no-op if the suite closed first
		if !s.client {
			s.drop() // a server closes TCP first
			return false
		}
		// A client waits for the server to close TCP.
		time.AfterFunc(s.scaled(closeWait), func() {
			if s.Open() {
				s.Note("the server did not close TCP after the closing handshake")
				s.drop()
			}
		})
	}
	return true
}

type violationError string

func (v violationError) Error() string { return string(v) }

// readFrame reads one frame and unmasks it, checking the masking rule.
func (s *Session) readFrame() (wsframe.Header, []byte, error) {
	var hb [wsframe.MaxHeaderSize]byte
	if _, err := io.ReadFull(s.br, hb[:2]); err != nil {
		return wsframe.Header{}, nil, err
	}
	n := 2
	switch hb[1] & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if hb[1]&0x80 != 0 {
		n += 4
	}
	if _, err := io.ReadFull(s.br, hb[2:n]); err != nil {
		return wsframe.Header{}, nil, err
	}
	h, _, err := wsframe.ParseHeader(hb[:n])
	if err != nil {
		return h, nil, violationError("testee sent a frame length with the most significant bit set")
	}
	if s.client && h.Masked {
		return h, nil, violationError("server frames must not be masked")
	}
	if !s.client && !h.Masked {
		return h, nil, violationError("client frames must be masked")
	}
	if h.Length > maxIncoming {
		return h, nil, violationError("testee announced a frame larger than the suite accepts")
	}
	payload := make([]byte, h.Length)
	if _, err := io.ReadFull(s.br, payload); err != nil {
		return h, nil, err
	}
	if h.Masked {
		wsframe.Mask(h.Mask, 0, payload)
	}
	return h, payload, nil
}
