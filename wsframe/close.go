package wsframe

import (
	"encoding/binary"
	"strconv"
)

// CloseCode is a close status code (RFC 6455 section 7.4).
type CloseCode uint16

// The close codes registered by RFC 6455 and IANA. Codes 1005, 1006 and
// 1015 are never sent: they describe what a peer observed.
const (
	CloseNormal             CloseCode = 1000
	CloseGoingAway          CloseCode = 1001
	CloseProtocolError      CloseCode = 1002
	CloseUnsupportedData    CloseCode = 1003
	CloseNoStatus           CloseCode = 1005 // the close frame carried no code
	CloseAbnormal           CloseCode = 1006 // the connection ended without a close frame
	CloseInvalidPayload     CloseCode = 1007
	ClosePolicyViolation    CloseCode = 1008
	CloseMessageTooBig      CloseCode = 1009
	CloseMandatoryExtension CloseCode = 1010
	CloseInternalError      CloseCode = 1011
	CloseServiceRestart     CloseCode = 1012
	CloseTryAgainLater      CloseCode = 1013
	CloseBadGateway         CloseCode = 1014
	CloseTLSHandshake       CloseCode = 1015 // a TLS handshake failed
)

// MaxCloseReason is the longest close reason that fits in a control frame.
const MaxCloseReason = MaxControlPayload - 2

// ValidOnWire reports whether c may appear in a close frame: 1000–1003,
// 1007–1014 and the ranges 3000–3999 (registered) and 4000–4999 (private).
func (c CloseCode) ValidOnWire() bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014, c >= 3000 && c <= 4999:
		return true
	}
	return false
}

var closeNames = map[CloseCode]string{
	CloseNormal:             "normal closure",
	CloseGoingAway:          "going away",
	CloseProtocolError:      "protocol error",
	CloseUnsupportedData:    "unsupported data",
	CloseNoStatus:           "no status",
	CloseAbnormal:           "abnormal closure",
	CloseInvalidPayload:     "invalid payload data",
	ClosePolicyViolation:    "policy violation",
	CloseMessageTooBig:      "message too big",
	CloseMandatoryExtension: "mandatory extension",
	CloseInternalError:      "internal error",
	CloseServiceRestart:     "service restart",
	CloseTryAgainLater:      "try again later",
	CloseBadGateway:         "bad gateway",
	CloseTLSHandshake:       "TLS handshake",
}

// String returns the code and, for registered codes, its name.
func (c CloseCode) String() string {
	s := strconv.Itoa(int(c))
	if name, ok := closeNames[c]; ok {
		return s + " (" + name + ")"
	}
	return s
}

// ParseClosePayload decodes and checks a close frame's payload. An empty
// payload means CloseNoStatus. A 1-byte payload, a code that is not valid on
// the wire, or a reason that is not UTF-8 is an error; reason aliases p.
func ParseClosePayload(p []byte) (code CloseCode, reason []byte, err error) {
	switch len(p) {
	case 0:
		return CloseNoStatus, nil, nil
	case 1:
		return 0, nil, ErrCloseOneByte
	}
	code = CloseCode(binary.BigEndian.Uint16(p))
	if !code.ValidOnWire() {
		return code, nil, ErrInvalidCloseCode
	}
	reason = p[2:]
	if !ValidUTF8(reason) {
		return code, nil, ErrInvalidCloseReason
	}
	return code, reason, nil
}

// AppendClosePayload appends a close frame payload for code and reason to
// dst. CloseNoStatus gives an empty payload. It does not check its input; a
// Sender checks close frames before they are sent.
func AppendClosePayload(dst []byte, code CloseCode, reason string) []byte {
	if code == CloseNoStatus {
		return dst
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(code))
	return append(dst, reason...)
}
