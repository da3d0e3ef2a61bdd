//go:build linux

package fastws

import (
	"errors"
	"io"
	"time"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/fastws/fastws/wsframe"
)

// consume feeds what arrived to the Parser and acts on each event. A
// message that lies whole in data is handed to the handler where it lies;
// one that spans reads is gathered first.
func (c *loopConn) consume(data []byte) {
	l := c.loop
	if c.parser == nil {
		if l.parserLent {
			// A callback made another connection parse: never seen,
			// but two connections must not share one Parser.
			c.parser = l.ownParser()
		} else {
			c.parser, l.parserLent = &l.parser, true
		}
		c.parser.Reset(c.parserConfig())
	}
	c.parse(data)
	p := c.parser
	if p == &l.parser {
		l.parserLent = false
	}
	atRest := p.AtRest() || (c.state != stateOpen && c.state != stateClosing)
	switch {
	case p == &l.parser && atRest:
		c.parser = nil
	case p == &l.parser:
		// Mid-frame or mid-message: the state goes with the connection.
		own := l.ownParser()
		*own = *p
		c.parser = own
	case atRest:
		c.parser = nil
		l.spareParser(p)
	}
}

// parse runs data through the connection's Parser.
func (c *loopConn) parse(data []byte) {
	ev := wsframe.Event{}
	for len(data) > 0 && (c.state == stateOpen || c.state == stateClosing) {
		n, err := c.parser.Next(data, &ev)
		if err != nil {
			c.fail(err)
			return
		}
		data = data[n:]
		switch ev.Kind {
		case wsframe.DataEvent:
			c.data(&ev)
		case wsframe.ControlEvent:
			c.control(&ev)
		}
	}
}

// data handles a part of a data frame.
func (c *loopConn) data(ev *wsframe.Event) {
	if ev.First && ev.Header.Opcode != wsframe.OpContinuation {
		c.msgType, c.msgZip = MessageType(ev.Message), ev.Compressed
	}
	end := ev.EndOfMessage()
	if end && c.msg == nil {
		c.deliver(ev.Payload)
		return
	}
	if c.msgZip && c.loop.srv.maxMsg > 0 && c.msg != nil && int64(len(*c.msg)+len(ev.Payload)) > c.loop.srv.maxMsg+c.loop.srv.maxMsg>>6+1024 {
		// The loop inflates a compressed message once it is whole, so its
		// wire bytes are held to the limit too (with deflate's slack):
		// empty deflate blocks would otherwise grow it for ever.
		c.fail(&wsframe.LimitError{Err: wsframe.ErrMessageTooBig, Size: int64(len(*c.msg) + len(ev.Payload)), Limit: c.loop.srv.maxMsg})
		return
	}
	if (len(ev.Payload) > 0 || c.msg == nil) && !c.gather(ev.Payload, ev.Header.Fin) {
		c.fail(errMemoryBudget)
		return
	}
	if end {
		c.deliver(*c.msg)
		c.dropMessage()
	}
}

// gather appends part to the message being gathered. Memory follows the
// bytes that arrive, as on the goroutine driver: growth by doubling while
// the message's size is unknown (at most 2 n), and once the frame that
// ends it is under way and an eighth of it is in, one allocation of
// exactly what it needs. What it holds counts against the Server's
// MemoryBudget; it reports false, having taken nothing more, when the
// budget is spent.
func (c *loopConn) gather(part []byte, finalFrame bool) bool {
	rem := c.parser.Remaining()
	budget := c.loop.srv.opts.MemoryBudget
	if c.msg == nil {
		size := len(part) + int(min(rem, int64(len(part))+4096))
		if budget.full(int64(size)) {
			return false
		}
		c.msg = bufpool.Get(size)
		*c.msg = (*c.msg)[:0]
		budget.charge(int64(cap(*c.msg)))
	}
	b := *c.msg
	if cap(b)-len(b) < len(part) {
		need := len(b) + len(part)
		size := max(need, 2*len(b))
		if finalFrame && (7*int64(need) >= rem || int64(size) > int64(need)+rem) {
			size = need + int(rem)
		}
		if budget.full(int64(size - cap(b))) {
			return false
		}
		nb := bufpool.Get(size)
		*nb = append((*nb)[:0], b...)
		budget.charge(int64(cap(*nb) - cap(b)))
		bufpool.Put(c.msg)
		c.msg = nb
	}
	*c.msg = append(*c.msg, part...)
	return true
}

// deliver hands a whole message to the handler, inflating it first when
// it is compressed.
func (c *loopConn) deliver(p []byte) {
	if c.msgZip {
		sp := &c.loop.inflated
		*sp = spill{budget: c.loop.srv.opts.MemoryBudget, chunks: sp.chunks[:0]}
		defer sp.settle()
		var err error
		if p, err = c.inflate(p, sp); err != nil {
			c.fail(err)
			return
		}
	}
	c.loop.srv.stats.messagesIn.Add(1)
	c.onMessage(c.msgType, p)
}

// inflate decompresses a whole compressed message into sp's pooled
// chunks, as the goroutine driver does: never past the message limit plus
// one byte (which shows the excess), checking UTF-8 as it goes for text,
// so that a bomb holds at most the limit plus a chunk. The first chunk is
// sized for inflateGuess times the compressed bytes, so that a message
// usually lands in one chunk; the message is then that chunk, or the
// chunks copied once into one from the pool (sp.gather). Either way it
// goes back to the pool after OnMessage: a compressed message allocated
// a copy of exactly its size here before, 233 MB in three seconds of the
// 16 KiB compressed echo.
func (c *loopConn) inflate(comp []byte, sp *spill) ([]byte, error) {
	dec := c.decompressor()
	src := &c.loop.source
	src.p = comp
	dec.Begin(src)
	sp.first = inflateGuess * len(comp)
	limit := c.loop.srv.maxMsg
	text := c.msgType == Text
	for {
		room := sp.space()
		if room == nil {
			dec.End()
			return nil, errMemoryBudget
		}
		if limit > 0 {
			room = room[:min(int64(len(room)), limit+1-int64(sp.n))]
		}
		n, err := dec.Read(room)
		sp.commit(n)
		if cerr := c.parser.CheckInflated(room[:n], int64(sp.n), text, err == io.EOF); cerr != nil {
			dec.End()
			return nil, cerr
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, wrapError("fastws: inflating a message", errCorruptDeflate)
		}
	}
	p, ok := sp.gather()
	if !ok {
		return nil, errMemoryBudget
	}
	return p, nil
}

// inflateGuess is how many times its compressed size the loop expects a
// message to inflate to, for the first chunk: JSON at 1 and 16 KiB
// compresses 2-4.5 times without context, and a chunk's size rounds up
// to the pool's next class.
const inflateGuess = 5

// errCorruptDeflate fails a connection whose compressed message does not
// inflate, with 1007 (the payload is not what it claims to be).
var errCorruptDeflate = &wsframe.ProtocolError{Code: CloseInvalidPayload, Rule: "compressed message does not inflate"}

// wholeSource is a compressed message the loop has gathered whole.
type wholeSource struct{ p []byte }

func (s *wholeSource) Next() ([]byte, bool, error) {
	p := s.p
	s.p = nil
	return p, true, nil
}

// control acts on a ping, pong or close frame.
func (c *loopConn) control(ev *wsframe.Event) {
	srv := c.loop.srv
	switch ev.Header.Opcode {
	case wsframe.OpPing:
		if !srv.opts.DisableAutoPong {
			c.mu.Lock()
			if !c.closeQueued {
				c.appendFrameLocked(wsframe.Header{Fin: true, Opcode: wsframe.OpPong}, ev.Payload)
			}
			c.mu.Unlock()
		}
		if srv.ping != nil {
			c.onControl(srv.ping.OnPing, ev.Payload)
		}
	case wsframe.OpPong:
		if x := c.x(); x != nil {
			x.pingSent = 0
		}
		if srv.pong != nil {
			c.onControl(srv.pong.OnPong, ev.Payload)
		}
	case wsframe.OpClose:
		code, reason, _ := wsframe.ParseClosePayload(ev.Payload)
		if code == 0 {
			code = CloseNoStatus
		}
		c.mu.Lock()
		cause, ourCode, ourReason := c.cause, c.code, c.reasonLocked()
		if !c.closeQueued {
			// Echo the code, after what is queued, and hang up once it
			// is out: a server closes TCP first (RFC 6455 7.1.1).
			c.closeQueued = true
			var buf [2]byte
			payload := buf[:0]
			if code != CloseNoStatus {
				payload = wsframe.AppendClosePayload(buf[:0], code, "")
			}
			c.appendFrameLocked(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, payload)
		}
		c.mu.Unlock()
		c.setEnding(closeEventFor(&CloseError{Code: code, Reason: string(reason)}, cause, ourCode, ourReason))
		c.endPending = true
		if c.state == stateOpen {
			c.state = stateClosing
			c.armCloseTimer()
		}
	}
}

// armCloseTimer bounds what is left of the connection's life by the
// close timeout.
func (c *loopConn) armCloseTimer() {
	c.deadline = time.Now().UnixNano() + int64(c.loop.srv.opts.closeTimeout())
	c.loop.wheel.schedule(c, c.deadline)
}

// fail fails the connection for a rule the peer broke: the close frame
// with the rule's code goes out after what is queued, then the loop
// half-closes and waits for the peer to hang up (or the close timeout).
func (c *loopConn) fail(err error) {
	code := failureCode(err)
	reason := err.Error()
	if len(reason) > wsframe.MaxCloseReason {
		reason = reason[:wsframe.MaxCloseReason]
	}
	c.mu.Lock()
	if !c.closeQueued {
		c.closeQueued = true
		var buf [wsframe.MaxControlPayload]byte
		c.appendFrameLocked(wsframe.Header{Fin: true, Opcode: wsframe.OpClose}, wsframe.AppendClosePayload(buf[:0], code, reason))
	}
	c.mu.Unlock()
	var pe *wsframe.ProtocolError
	rule := err.Error()
	if errors.As(err, &pe) {
		rule = pe.Rule
	}
	c.setEnding(CloseEvent{Cause: ClosedForProtocolError, Code: code, Reason: rule, Err: err})
	c.endPending = true
	c.state = stateLinger
	c.armCloseTimer()
	c.dropMessage()
	c.report(c.ending())
}
