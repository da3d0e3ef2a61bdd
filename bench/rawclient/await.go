package rawclient

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/fastws/fastws/wsframe"
)

// Kind is what became of a message.
type Kind int

// The answers a server can give a message.
const (
	Echoed   Kind = iota // the whole message came back, checked
	Closed               // a close frame, with Result.Code
	Reset                // the connection was reset
	Dropped              // the connection ended without a close frame
	TimedOut             // nothing conclusive before the deadline
	Failed               // a wrong echo, a broken frame or another error
)

// Result is a server's answer to one message.
type Result struct {
	Kind   Kind
	Code   int   // Closed: the close code (1005 if the frame had none)
	Length int64 // Echoed: the payload, inflated if it came compressed
	Wire   int64 // Echoed: the payload as it came on the wire
	Err    error // Reset, Dropped, TimedOut, Failed: why
}

// String names the outcome as the report prints it.
func (r Result) String() string {
	switch r.Kind {
	case Echoed:
		return "echoed"
	case Closed:
		return fmt.Sprintf("close %d", r.Code)
	case Reset:
		return "reset"
	case Dropped:
		return "dropped"
	case TimedOut:
		return "timeout"
	}
	return "failed: " + fmt.Sprint(r.Err)
}

// Check is given the echo's payload piece by piece, inflated, at offset
// off, and says what is wrong with a piece.
type Check func(off int64, p []byte) error

// Same checks that an echo carries payload's bytes.
func Same(payload []byte) Check {
	return func(off int64, p []byte) error {
		if off+int64(len(p)) > int64(len(payload)) {
			return fmt.Errorf("echo longer than the %d bytes sent", len(payload))
		}
		if !bytes.Equal(p, payload[off:off+int64(len(p))]) {
			return fmt.Errorf("echo differs from the message within bytes %d to %d", off, off+int64(len(p)))
		}
		return nil
	}
}

// Zeros checks that an echo is all zero bytes, as a bomb inflates to.
func Zeros(_ int64, p []byte) error {
	if i := bytes.IndexFunc(p, func(r rune) bool { return r != 0 }); i >= 0 {
		return errors.New("echo of zeros has a non-zero byte")
	}
	return nil
}

// maxDeflatedEcho bounds the compressed echo kept for inflating: a
// server's compression of a bomb's zeros is well under it.
const maxDeflatedEcho = 64 << 20

// deflateTail ends every permessage-deflate message (RFC 7692 7.2.2), and
// the empty final block after it makes the end of the stream clean.
const deflateTail = "\x00\x00\xff\xff\x01\x00\x00\xff\xff"

// Await reads the server's answer to the message just sent, until the
// deadline: the whole echo, which must be want bytes long once inflated
// and pass check, or whatever ends the connection instead. Pings and
// pongs are skipped.
func (c *Conn) Await(want int64, check Check, deadline time.Time) Result {
	if err := c.nc.SetReadDeadline(deadline); err != nil {
		return Result{Kind: Failed, Err: err}
	}
	var (
		scratch  = make([]byte, readBufferSize)
		inMsg    bool
		deflated bool
		zipped   []byte // a compressed echo, kept until its end
		got      int64  // payload bytes of the echo so far
	)
	for {
		h, err := c.readHeader()
		if err != nil {
			return ioResult(err)
		}
		switch h.Opcode {
		case wsframe.OpClose:
			p, err := c.readPayload(h, scratch)
			if err != nil {
				return ioResult(err)
			}
			code := int(wsframe.CloseNoStatus)
			if len(p) >= 2 {
				code = int(binary.BigEndian.Uint16(p))
			}
			return Result{Kind: Closed, Code: code}
		case wsframe.OpPing, wsframe.OpPong:
			if _, err := c.readPayload(h, scratch); err != nil {
				return ioResult(err)
			}
			continue
		case wsframe.OpBinary, wsframe.OpText:
			if inMsg {
				return failed("a new message inside the echo")
			}
			inMsg, deflated = true, h.Rsv&wsframe.Rsv1 != 0
		case wsframe.OpContinuation:
			if !inMsg {
				return failed("a continuation with no message")
			}
		default:
			return failed(fmt.Sprintf("opcode %v", h.Opcode))
		}
		// The payload of a data frame, in pieces.
		for left := h.Length; left > 0; {
			p := scratch[:min(left, int64(len(scratch)))]
			if _, err := io.ReadFull(c.br, p); err != nil {
				return ioResult(err)
			}
			if h.Masked {
				wsframe.Mask(h.Mask, int(h.Length-left), p)
			}
			if deflated {
				if len(zipped)+len(p) > maxDeflatedEcho {
					return failed("compressed echo larger than " + fmt.Sprint(maxDeflatedEcho))
				}
				zipped = append(zipped, p...)
			} else if err := check(got, p); err != nil {
				return Result{Kind: Failed, Err: err}
			}
			got += int64(len(p))
			left -= int64(len(p))
		}
		if !h.Fin {
			continue
		}
		n := got
		if deflated {
			if n, err = inflate(zipped, check, scratch); err != nil {
				return Result{Kind: Failed, Err: err}
			}
		}
		if n != want {
			return failed(fmt.Sprintf("echo of %d bytes, %d sent", n, want))
		}
		return Result{Kind: Echoed, Length: n, Wire: got}
	}
}

// readHeader reads a frame header.
func (c *Conn) readHeader() (wsframe.Header, error) {
	var b [wsframe.MaxHeaderSize]byte
	if _, err := io.ReadFull(c.br, b[:2]); err != nil {
		return wsframe.Header{}, err
	}
	n := 2
	switch b[1] & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b[1]&0x80 != 0 {
		n += 4
	}
	if _, err := io.ReadFull(c.br, b[2:n]); err != nil {
		return wsframe.Header{}, err
	}
	h, _, err := wsframe.ParseHeader(b[:n])
	return h, err
}

// readPayload reads a control frame's payload into scratch.
func (c *Conn) readPayload(h wsframe.Header, scratch []byte) ([]byte, error) {
	if h.Length > wsframe.MaxControlPayload {
		return nil, fmt.Errorf("rawclient: control frame of %d bytes", h.Length)
	}
	p := scratch[:h.Length]
	if _, err := io.ReadFull(c.br, p); err != nil {
		return nil, err
	}
	if h.Masked {
		wsframe.Mask(h.Mask, 0, p)
	}
	return p, nil
}

// inflate decompresses a permessage-deflate message into check, piece by
// piece, and returns its length.
func inflate(zipped []byte, check Check, scratch []byte) (int64, error) {
	r := flate.NewReader(io.MultiReader(bytes.NewReader(zipped), strings.NewReader(deflateTail)))
	defer r.Close()
	var off int64
	for {
		n, err := r.Read(scratch)
		if n > 0 {
			if cerr := check(off, scratch[:n]); cerr != nil {
				return off, cerr
			}
			off += int64(n)
		}
		if errors.Is(err, io.EOF) {
			return off, nil
		}
		if err != nil {
			return off, fmt.Errorf("inflating the echo: %w", err)
		}
	}
}

func failed(why string) Result { return Result{Kind: Failed, Err: errors.New(why)} }

// ioResult classifies a read error.
func ioResult(err error) Result {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return Result{Kind: TimedOut, Err: err}
	case errors.Is(err, syscall.ECONNRESET):
		return Result{Kind: Reset, Err: err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Result{Kind: Dropped, Err: err}
	}
	return Result{Kind: Failed, Err: err}
}
