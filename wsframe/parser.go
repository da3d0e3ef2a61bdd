package wsframe

// Role says which end of a connection a Parser or Sender works for.
type Role uint8

// The two roles. A server receives masked frames and sends unmasked ones; a
// client does the opposite.
const (
	ServerSide Role = iota
	ClientSide
)

// DefaultMaxMessageSize is the message size limit used when a Config leaves
// it zero: 16 MiB, large enough for the largest messages conformance suites
// send (Autobahn's 16 MiB) and small enough that a hostile peer cannot
// exhaust memory with one connection. Memory is only ever committed as
// payload actually arrives.
const DefaultMaxMessageSize = 16 << 20

// Config configures a Parser or a Sender.
type Config struct {
	Role Role

	// MaxMessageSize bounds the payload of a message (all its frames).
	// 0 means DefaultMaxMessageSize; a negative value means no limit.
	MaxMessageSize int64

	// MaxFrameSize bounds the payload of one frame. 0 means the same as
	// MaxMessageSize (for a compressed frame, plus 1/64 and 1 KiB: what
	// deflate adds to data that does not compress); a negative value
	// means no limit.
	MaxFrameSize int64

	// Rsv is the set of reserved bits (Rsv1|Rsv2|Rsv3) that negotiated
	// extensions define. Frames with any other reserved bit set fail the
	// connection with 1002.
	Rsv byte

	// Deflate says permessage-deflate (RFC 7692) was negotiated. RSV1 is then
	// allowed on the first frame of a data message only, where it marks the
	// message compressed. The Parser counts a compressed message's wire
	// bytes against MaxFrameSize only and leaves its UTF-8 check to
	// CheckInflated, since the wire carries compressed bytes.
	Deflate bool
}

func (c *Config) limits() (frame, msg int64) {
	msg = c.MaxMessageSize
	if msg == 0 {
		msg = DefaultMaxMessageSize
	}
	frame = c.MaxFrameSize
	if frame == 0 {
		frame = msg
	}
	return frame, msg
}

// EventKind says what a Parser event carries.
type EventKind uint8

// The kinds of events.
const (
	// NoEvent: the bytes consumed completed nothing reportable yet (part
	// of a header or of a control frame, or input discarded after a close).
	NoEvent EventKind = iota
	// DataEvent: part of the payload of a text, binary or continuation frame.
	DataEvent
	// ControlEvent: a whole close, ping or pong frame.
	ControlEvent
)

// Event is what one call to Parser.Parse found.
type Event struct {
	Kind   EventKind
	Header Header // the frame the event belongs to

	// Payload is unmasked, in place. For a DataEvent it is the next part of
	// the frame's payload (possibly empty) and aliases the input; for a
	// ControlEvent it is the whole payload and aliases either the input or
	// the Parser's own 125-byte buffer. Either way it is valid until the
	// next call to Parse and as long as the input is.
	Payload []byte

	First bool // a DataEvent: Payload begins the frame (the header was just read)
	Last  bool // a DataEvent: Payload ends the frame

	// Message is OpText or OpBinary for a DataEvent: the type of the
	// message the frame belongs to, continuation frames included.
	Message Opcode
	// Compressed is set on each DataEvent of a message whose first frame had
	// RSV1 set on a connection with Deflate.
	Compressed bool
}

// EndOfMessage reports whether the event completes a data message.
func (e *Event) EndOfMessage() bool {
	return e.Kind == DataEvent && e.Last && e.Header.Fin
}

// Parser is the receive half of the protocol. It is fed the bytes a peer
// sent, in any chunking, and reports frames as events. It checks every rule
// of RFC 6455: masking direction, reserved bits and opcodes, control frame
// size and fragmentation, message sequencing, close payloads, UTF-8 in text
// messages (failing at the first invalid byte) and the size limits, decided
// from each header before its payload is read.
//
// It buffers only what it must: up to 14 bytes of a header split across
// inputs, and up to 125 bytes of a control frame split across inputs (in
// a buffer allocated the first time that happens: most connections never
// need it). Data payload is never copied; it is unmasked in place in the
// caller's input. A Parser is about 130 bytes.
//
// After a close frame, further input is consumed and ignored. After an
// error, every call returns the same error.
type Parser struct {
	// What the Parser needs of its Config. Not the Config itself: an
	// idle connection on an event loop is mostly its Parser, and the
	// limits are kept once, resolved, in maxFrame and maxMsg.
	role       Role
	rsv        byte
	deflate    bool
	frameSet   bool // Config.MaxFrameSize was set
	maxFrame   int64
	maxMsg     int64
	err        error
	h          Header // frame in progress
	remain     int64  // payload bytes of h not yet parsed
	msgLen     int64  // payload bytes of the message so far, this frame included
	msgOp      Opcode // OpText or OpBinary while a message is in progress, else 0
	compressed bool
	inPayload  bool // a data frame's payload is in progress
	inControl  bool // a control frame's payload is being gathered in cbuf
	closed     bool
	maskPos    uint8
	hn         uint8
	cn         uint8
	utf8       UTF8
	hbuf       [MaxHeaderSize]byte
	cbuf       *[MaxControlPayload]byte // allocated the first time a control frame is split
}

// NewParser returns a Parser for cfg.
func NewParser(cfg Config) *Parser {
	p := new(Parser)
	p.Reset(cfg)
	return p
}

// Reset readies p for a new connection configured by cfg.
func (p *Parser) Reset(cfg Config) {
	*p = Parser{role: cfg.Role, rsv: cfg.Rsv, deflate: cfg.Deflate, frameSet: cfg.MaxFrameSize != 0}
	p.maxFrame, p.maxMsg = cfg.limits()
}

// Err returns the error that stopped the parser, if any.
func (p *Parser) Err() error { return p.err }

// Closed reports whether a close frame has been parsed.
func (p *Parser) Closed() bool { return p.closed }

// AtRest reports whether p is between messages, with no frame begun and
// no close frame or error seen: a Parser Reset with the same Config would
// parse what follows exactly as p will. A driver that holds many idle
// connections can then keep no Parser for them, and lend one (Reset)
// when bytes arrive.
func (p *Parser) AtRest() bool {
	return p.msgOp == 0 && p.hn == 0 && !p.inPayload && !p.inControl && !p.closed && p.err == nil
}

// InMessage reports whether a data message has begun and not ended.
func (p *Parser) InMessage() bool { return p.msgOp != 0 }

// Remaining returns how many payload bytes of the current data frame are
// still to come; 0 between frames. A driver may read that many bytes
// straight into their destination and pass them to Parse, which then
// reports them as one DataEvent without any copy.
func (p *Parser) Remaining() int64 {
	if !p.inPayload {
		return 0
	}
	return p.remain
}

func (p *Parser) fail(err error) (int, error) {
	p.err = err
	return 0, err
}

// Parse consumes a prefix of b and reports at most one event. It returns
// how many bytes it consumed; call it again with the rest. When it returns
// NoEvent having consumed all of b, it needs more input.
func (p *Parser) Parse(b []byte) (n int, ev Event, err error) {
	n, err = p.Next(b, &ev)
	return n, ev, err
}

// Next is Parse with the event written to *ev, which a driver can keep in
// place instead of copying it up its call chain.
func (p *Parser) Next(b []byte, ev *Event) (n int, err error) {
	// Every path writes *ev once: a data event field by field (the
	// per-frame cost of a stream of tiny fragments is mostly this), any
	// other as a whole.
	switch {
	case p.err != nil:
		*ev = Event{}
		return 0, p.err
	case p.closed:
		*ev = Event{}
		return len(b), nil
	case p.inPayload:
		return p.dataPart(b, 0, false, ev)
	case p.inControl:
		return p.controlPart(b, 0, ev)
	}
	n, complete, err := p.header(b)
	if err != nil {
		*ev = Event{}
		return p.fail(err)
	}
	if !complete {
		*ev = Event{}
		return n, nil
	}
	h := &p.h
	if err := p.check(h); err != nil {
		*ev = Event{}
		return p.fail(err)
	}
	p.remain = h.Length
	p.maskPos = 0
	if h.Opcode.IsControl() {
		return p.controlPart(b[n:], n, ev)
	}
	if h.Opcode != OpContinuation {
		p.msgOp = h.Opcode
		p.msgLen = 0
		p.compressed = p.deflate && h.Rsv&Rsv1 != 0
		p.utf8.Reset()
	}
	p.msgLen += h.Length
	p.inPayload = true
	return p.dataPart(b[n:], n, true, ev)
}

// header parses the next frame header into p.h, gathering it in hbuf when
// it is split across inputs. n is the number of bytes of b consumed.
func (p *Parser) header(b []byte) (n int, complete bool, err error) {
	if p.hn == 0 {
		n, err = parseHeaderInto(b, &p.h)
		if err != nil || n > 0 {
			return n, err == nil, err
		}
		// A header is at most 14 bytes, so all of b fits.
		p.hn = uint8(copy(p.hbuf[:], b))
		return len(b), false, nil
	}
	if p.hn < 2 {
		n = copy(p.hbuf[p.hn:2], b)
		p.hn += uint8(n)
	}
	if p.hn >= 2 {
		size := headerSizeFromPrefix(p.hbuf[1])
		k := copy(p.hbuf[p.hn:size], b[n:])
		p.hn += uint8(k)
		n += k
	}
	// Parsing what has been gathered so far reports a bad length as soon
	// as its bytes are in, whatever the chunking.
	size, err := parseHeaderInto(p.hbuf[:p.hn], &p.h)
	if err != nil || size == 0 {
		return n, false, err
	}
	p.hn = 0
	return n, true, nil
}

// check applies every rule that can be decided from a header alone.
func (p *Parser) check(h *Header) error {
	if h.Opcode.IsReserved() {
		return ErrReservedOpcode
	}
	if h.Rsv&^p.rsv != 0 {
		return ErrReservedBits
	}
	if p.deflate && h.Rsv&Rsv1 != 0 && (h.Opcode.IsControl() || h.Opcode == OpContinuation) {
		return ErrMisplacedRsv1
	}
	if p.role == ServerSide {
		if !h.Masked {
			return ErrUnmaskedFrame
		}
	} else if h.Masked {
		return ErrMaskedFrame
	}
	if h.Opcode.IsControl() {
		if h.Length > MaxControlPayload {
			return ErrControlTooLong
		}
		if !h.Fin {
			return ErrControlFragmented
		}
		return nil
	}
	if h.Opcode == OpContinuation {
		if p.msgOp == 0 {
			return ErrUnexpectedContinuation
		}
	} else if p.msgOp != 0 {
		return ErrExpectedContinuation
	}
	if err := p.checkMessageSize(h); err != nil {
		return err
	}
	if limit := p.frameLimit(h); limit > 0 && h.Length > limit {
		return &LimitError{Err: ErrFrameTooBig, Size: h.Length, Limit: limit}
	}
	return nil
}

// frameLimit is the frame size limit for h. When the frame limit is the
// message limit (MaxFrameSize 0), a compressed frame may be a little
// larger: deflate adds a few bytes per block to what does not compress,
// so a message of exactly the limit can take more on the wire. Its
// inflated size is still held to the message limit.
func (p *Parser) frameLimit(h *Header) int64 {
	limit := p.maxFrame
	if limit <= 0 || p.frameSet || !p.deflate {
		return limit
	}
	if h.Rsv&Rsv1 != 0 || h.Opcode == OpContinuation && p.compressed {
		limit += limit>>6 + 1024
	}
	return limit
}

// checkMessageSize applies the message size limit to a data frame header,
// before the frame limit, so that a one-frame message over the message
// limit is reported as what it is.
func (p *Parser) checkMessageSize(h *Header) error {
	compressed := p.compressed
	soFar := p.msgLen
	if h.Opcode != OpContinuation {
		compressed = p.deflate && h.Rsv&Rsv1 != 0
		soFar = 0
	}
	if p.maxMsg > 0 && !compressed && h.Length > p.maxMsg-soFar {
		return &LimitError{Err: ErrMessageTooBig, Size: soFar + h.Length, Limit: p.maxMsg}
	}
	return nil
}

// dataPart reports the next part of a data frame's payload from b; n is the
// number of bytes already consumed for this event.
func (p *Parser) dataPart(b []byte, n int, first bool, ev *Event) (int, error) {
	take := len(b)
	if int64(take) > p.remain {
		take = int(p.remain)
	}
	part := b[:take:take]
	if p.h.Masked {
		p.maskPos = uint8(Mask(p.h.Mask, int(p.maskPos), part))
	}
	p.remain -= int64(take)
	text := p.msgOp == OpText && !p.compressed
	if text && !p.utf8.Feed(part) {
		*ev = Event{}
		return p.fail(ErrInvalidUTF8)
	}
	last := p.remain == 0
	ev.Kind = DataEvent
	ev.Header = p.h
	ev.Payload = part
	ev.First = first
	ev.Last = last
	ev.Message = p.msgOp
	ev.Compressed = p.compressed
	if last {
		p.inPayload = false
		if p.h.Fin {
			if text && !p.utf8.Complete() {
				*ev = Event{}
				return p.fail(ErrInvalidUTF8)
			}
			p.msgOp = 0
			p.msgLen = 0
			p.compressed = false
		}
	}
	return n + take, nil
}

// controlPart gathers a control frame's payload and reports the frame once
// it is whole. The payload is unmasked where it lies when the input holds
// it all, and copied to cbuf only when it is split across inputs.
func (p *Parser) controlPart(b []byte, n int, ev *Event) (int, error) {
	length := int(p.h.Length)
	if !p.inControl && len(b) >= length {
		return p.finishControl(b[:length:length], n+length, ev)
	}
	take := min(length-int(p.cn), len(b))
	if p.cbuf == nil {
		p.cbuf = new([MaxControlPayload]byte)
	}
	copy(p.cbuf[p.cn:], b[:take])
	p.cn += uint8(take)
	p.inControl = true
	if int(p.cn) < length {
		*ev = Event{}
		return n + take, nil
	}
	p.inControl = false
	p.cn = 0
	return p.finishControl(p.cbuf[:length:length], n+take, ev)
}

func (p *Parser) finishControl(payload []byte, n int, ev *Event) (int, error) {
	if p.h.Masked {
		Mask(p.h.Mask, 0, payload)
	}
	if p.h.Opcode == OpClose {
		if _, _, err := ParseClosePayload(payload); err != nil {
			*ev = Event{}
			return p.fail(err)
		}
		p.closed = true
	}
	*ev = Event{Kind: ControlEvent, Header: p.h, Payload: payload, First: true, Last: true}
	return n, nil
}

// CheckInflated checks the decompressed payload of a compressed data
// message, part by part, against the rules the Parser cannot apply to the
// wire bytes: the maximum message size and, for text, UTF-8 (failing at the
// first invalid byte). total is the inflated size of the message so far,
// this part included; end says this part ends the message. An error stops
// the Parser.
func (p *Parser) CheckInflated(part []byte, total int64, text, end bool) error {
	if p.err != nil {
		return p.err
	}
	if p.maxMsg > 0 && total > p.maxMsg {
		p.err = &LimitError{Err: ErrMessageTooBig, Size: total, Limit: p.maxMsg}
		return p.err
	}
	if text && (!p.utf8.Feed(part) || end && !p.utf8.Complete()) {
		p.err = ErrInvalidUTF8
		return p.err
	}
	if end {
		p.utf8.Reset()
	}
	return nil
}
