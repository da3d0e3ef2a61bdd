package wsframe

import "encoding/binary"

// The reserved bits of the first header byte, in their wire positions.
// Extensions claim them: permessage-deflate uses Rsv1.
const (
	Rsv1 byte = 0x40
	Rsv2 byte = 0x20
	Rsv3 byte = 0x10
)

// MaxHeaderSize is the longest a frame header can be: 2 bytes, 8 bytes of
// extended length and a 4-byte masking key.
const MaxHeaderSize = 14

// MaxControlPayload is the largest payload a control frame may carry.
const MaxControlPayload = 125

// Header is a decoded frame header.
type Header struct {
	Fin    bool
	Rsv    byte // Rsv1|Rsv2|Rsv3 bits as they appear on the wire
	Opcode Opcode
	Masked bool
	Mask   [4]byte // the masking key; meaningful only when Masked
	Length int64   // payload length
}

// HeaderSize returns the number of bytes AppendHeader writes for h.
func HeaderSize(h Header) int {
	n := 2
	switch {
	case h.Length > 0xFFFF:
		n += 8
	case h.Length > 125:
		n += 2
	}
	if h.Masked {
		n += 4
	}
	return n
}

// AppendHeader appends the wire form of h to dst, using the shortest length
// encoding as RFC 6455 section 5.2 requires. It does not check the protocol
// rules; a Sender does that. h.Length must not be negative.
func AppendHeader(dst []byte, h Header) []byte {
	b0 := byte(h.Opcode&0xF) | h.Rsv&(Rsv1|Rsv2|Rsv3)
	if h.Fin {
		b0 |= 0x80
	}
	var b1 byte
	if h.Masked {
		b1 = 0x80
	}
	switch {
	case h.Length > 0xFFFF:
		dst = append(dst, b0, b1|127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(h.Length))
	case h.Length > 125:
		dst = append(dst, b0, b1|126, byte(h.Length>>8), byte(h.Length))
	default:
		dst = append(dst, b0, b1|byte(h.Length))
	}
	if h.Masked {
		dst = append(dst, h.Mask[:]...)
	}
	return dst
}

// ParseHeader decodes the frame header at the start of b. It returns the
// header and its size in bytes; n is 0, with a nil error, when b holds only
// part of a header. The only error is ErrLengthMSB, for a 64-bit length with
// its most significant bit set; every other rule is the Parser's business.
//
// Length encodings longer than necessary are accepted: RFC 6455 obliges the
// sender to use the shortest, but nothing is ambiguous about a longer one,
// and rejecting it would only break interoperability.
func ParseHeader(b []byte) (h Header, n int, err error) {
	n, err = parseHeaderInto(b, &h)
	return h, n, err
}

// parseHeaderInto is ParseHeader writing the header in place: Header holds
// an array, so it is returned through memory, and a Parser that parses
// into its own field saves that copy on every frame.
func parseHeaderInto(b []byte, h *Header) (n int, err error) {
	if len(b) < 2 {
		return 0, nil
	}
	b0, b1 := b[0], b[1]
	h.Fin = b0&0x80 != 0
	h.Rsv = b0 & (Rsv1 | Rsv2 | Rsv3)
	h.Opcode = Opcode(b0 & 0xF)
	h.Masked = b1&0x80 != 0
	n = 2
	switch l := b1 & 0x7F; l {
	case 126:
		if len(b) < 4 {
			return 0, nil
		}
		h.Length = int64(binary.BigEndian.Uint16(b[2:4]))
		n = 4
	case 127:
		if len(b) < 10 {
			return 0, nil
		}
		u := binary.BigEndian.Uint64(b[2:10])
		if u>>63 != 0 {
			return 0, ErrLengthMSB
		}
		h.Length = int64(u)
		n = 10
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		if len(b) < n+4 {
			return 0, nil
		}
		copy(h.Mask[:], b[n:n+4])
		n += 4
	}
	return n, nil
}

// headerSizeFromPrefix returns the full size of a header whose second byte
// is b1: the length and mask bits there decide how many bytes follow.
func headerSizeFromPrefix(b1 byte) int {
	n := 2
	switch b1 & 0x7F {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	return n
}
