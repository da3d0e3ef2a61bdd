package wsframe

import "unicode/utf8"

// Sender is the send half of the protocol: it checks each frame an endpoint
// is about to send against the same rules a Parser applies to the peer, so
// that a misuse of the raw frame API becomes an error here instead of a
// protocol violation on the wire. It also remembers that a close frame was
// sent, after which nothing else may be.
//
// A Sender holds no buffers; frames are encoded with AppendHeader and Mask.
type Sender struct {
	cfg       Config
	inMessage bool
	closeSent bool
}

// Reset readies s for a new connection configured by cfg. Only the role,
// Rsv and Deflate fields matter to a Sender.
func (s *Sender) Reset(cfg Config) { *s = Sender{cfg: cfg} }

// InMessage reports whether a fragmented data message has begun and not yet
// ended.
func (s *Sender) InMessage() bool { return s.inMessage }

// CloseSent reports whether a close frame has been sent.
func (s *Sender) CloseSent() bool { return s.closeSent }

// Check validates h as the next frame to send and, if it is valid, records
// it. The errors are the Parser's sentinels for the rule that would be
// broken, or ErrCloseSent.
func (s *Sender) Check(h Header) error {
	if s.closeSent {
		return ErrCloseSent
	}
	if h.Opcode.IsReserved() {
		return ErrReservedOpcode
	}
	if h.Rsv&^s.cfg.Rsv != 0 {
		return ErrReservedBits
	}
	if s.cfg.Deflate && h.Rsv&Rsv1 != 0 && (h.Opcode.IsControl() || h.Opcode == OpContinuation) {
		return ErrMisplacedRsv1
	}
	if s.cfg.Role == ClientSide {
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
		if h.Opcode == OpClose {
			s.closeSent = true
		}
		return nil
	}
	if h.Opcode == OpContinuation {
		if !s.inMessage {
			return ErrUnexpectedContinuation
		}
	} else if s.inMessage {
		return ErrExpectedContinuation
	}
	s.inMessage = !h.Fin
	return nil
}

// CheckClose validates a close frame's code and reason before it is sent:
// the code must be valid on the wire (or CloseNoStatus, which sends an empty
// payload, and then the reason must be empty too), the reason valid UTF-8
// of at most 123 bytes.
func CheckClose(code CloseCode, reason string) error {
	if code == CloseNoStatus {
		if reason != "" {
			return ErrInvalidCloseCode
		}
		return nil
	}
	if !code.ValidOnWire() {
		return ErrInvalidCloseCode
	}
	if len(reason) > MaxCloseReason {
		return ErrControlTooLong
	}
	if !utf8.ValidString(reason) {
		return ErrInvalidCloseReason
	}
	return nil
}
