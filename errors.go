package fastws

import (
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/fastws/fastws/wsframe"
)

// CloseCode is a close status code; see the constants below and
// wsframe.CloseCode.
type CloseCode = wsframe.CloseCode

// The close codes of RFC 6455 section 7.4.
const (
	CloseNormal             = wsframe.CloseNormal
	CloseGoingAway          = wsframe.CloseGoingAway
	CloseProtocolError      = wsframe.CloseProtocolError
	CloseUnsupportedData    = wsframe.CloseUnsupportedData
	CloseNoStatus           = wsframe.CloseNoStatus
	CloseAbnormal           = wsframe.CloseAbnormal
	CloseInvalidPayload     = wsframe.CloseInvalidPayload
	ClosePolicyViolation    = wsframe.ClosePolicyViolation
	CloseMessageTooBig      = wsframe.CloseMessageTooBig
	CloseMandatoryExtension = wsframe.CloseMandatoryExtension
	CloseInternalError      = wsframe.CloseInternalError
	CloseServiceRestart     = wsframe.CloseServiceRestart
	CloseTryAgainLater      = wsframe.CloseTryAgainLater
	CloseBadGateway         = wsframe.CloseBadGateway
)

// CloseError is how a connection's end is reported to readers: the peer's
// close frame (Code and Reason as sent; CloseNoStatus for an empty one), or
// CloseAbnormal when the connection ended without a close frame, in which
// case errors.Is(err, io.ErrUnexpectedEOF) holds.
type CloseError struct {
	Code   CloseCode
	Reason string
}

func (e *CloseError) Error() string {
	if e.Code == CloseAbnormal {
		return "fastws: connection ended without a close frame (1006)"
	}
	s := "fastws: peer closed the connection: " + e.Code.String()
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Is makes an abnormal closure match io.ErrUnexpectedEOF.
func (e *CloseError) Is(target error) bool {
	return e.Code == CloseAbnormal && target == io.ErrUnexpectedEOF
}

// CloseStatus returns the close code of err if it is or wraps a
// *CloseError, and 0 otherwise.
func CloseStatus(err error) CloseCode {
	var ce *CloseError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

// ErrClosed is returned by operations on a connection that this side has
// closed (or that failed). errors.Is(ErrClosed, net.ErrClosed) holds.
var ErrClosed = closedError{}

type closedError struct{}

func (closedError) Error() string        { return "fastws: use of closed connection" }
func (closedError) Is(target error) bool { return target == net.ErrClosed }

// ErrWriterClosed is returned by a message writer used after Close, and by
// a message reader used after the next message began.
var ErrWriterClosed = errors.New("fastws: message writer or reader used after it was finished")

// wrapError is fmt.Errorf("%s: %w", context, err), kept out of line: the
// temporaries of an inlined fmt.Errorf would sit in the caller's stack
// frame, and the callers are on the paths whose depth decides a
// connection's stack size.
//
//go:noinline
func wrapError(context string, err error) error {
	return fmt.Errorf("%s: %w", context, err)
}
