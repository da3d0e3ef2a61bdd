package wsframe

import (
	"errors"
	"strconv"
)

// ProtocolError is a rule of RFC 6455 (or of a negotiated extension) that a
// peer broke. Code is the close code the connection must be failed with.
// Each rule has one sentinel value below, so errors.Is(err, ErrInvalidUTF8)
// works on any error that wraps it, and errors.As yields the code.
type ProtocolError struct {
	Code CloseCode
	Rule string
}

func (e *ProtocolError) Error() string { return "websocket: " + e.Rule }

// The rules a peer can break, each with the close code it calls for.
var (
	ErrLengthMSB              = &ProtocolError{CloseProtocolError, "64-bit payload length with the most significant bit set"}
	ErrReservedOpcode         = &ProtocolError{CloseProtocolError, "reserved opcode"}
	ErrReservedBits           = &ProtocolError{CloseProtocolError, "reserved bits set that no negotiated extension defines"}
	ErrMisplacedRsv1          = &ProtocolError{CloseProtocolError, "RSV1 set on a frame that does not begin a data message"}
	ErrControlTooLong         = &ProtocolError{CloseProtocolError, "control frame payload longer than 125 bytes"}
	ErrControlFragmented      = &ProtocolError{CloseProtocolError, "fragmented control frame"}
	ErrUnexpectedContinuation = &ProtocolError{CloseProtocolError, "continuation frame without a message in progress"}
	ErrExpectedContinuation   = &ProtocolError{CloseProtocolError, "new data frame inside an unfinished fragmented message"}
	ErrUnmaskedFrame          = &ProtocolError{CloseProtocolError, "frame from the client is not masked"}
	ErrMaskedFrame            = &ProtocolError{CloseProtocolError, "frame from the server is masked"}
	ErrCloseOneByte           = &ProtocolError{CloseProtocolError, "close frame payload of 1 byte"}
	ErrInvalidCloseCode       = &ProtocolError{CloseProtocolError, "close code not allowed on the wire"}
	ErrInvalidUTF8            = &ProtocolError{CloseInvalidPayload, "text message is not valid UTF-8"}
	ErrInvalidCloseReason     = &ProtocolError{CloseInvalidPayload, "close reason is not valid UTF-8"}
	ErrFrameTooBig            = &ProtocolError{CloseMessageTooBig, "frame larger than the maximum frame size"}
	ErrMessageTooBig          = &ProtocolError{CloseMessageTooBig, "message larger than the maximum message size"}
	ErrInflate                = &ProtocolError{CloseInvalidPayload, "compressed message does not inflate"}
)

// ErrCloseSent is returned by a Sender for a frame that would follow the
// close frame this endpoint already sent.
var ErrCloseSent = errors.New("websocket: close frame already sent")

// LimitError reports a frame or a message over a size limit, decided from
// the frame header before any of the payload is read. Err is ErrFrameTooBig
// or ErrMessageTooBig, and errors.Is sees through to it.
type LimitError struct {
	Err   *ProtocolError
	Size  int64 // bytes the frame or message would reach
	Limit int64
}

func (e *LimitError) Error() string {
	return e.Err.Error() + " (" + strconv.FormatInt(e.Size, 10) + " bytes, limit " + strconv.FormatInt(e.Limit, 10) + ")"
}

// Unwrap returns the rule broken.
func (e *LimitError) Unwrap() error { return e.Err }
