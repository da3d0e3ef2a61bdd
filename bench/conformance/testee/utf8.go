package testee

import (
	"errors"
	"io"
)

// errInvalidUTF8 is returned by a utf8Reader when the text it passes on
// stops being UTF-8.
var errInvalidUTF8 = errors.New("testee: text message is not valid UTF-8")

// utf8Validator checks UTF-8 (RFC 3629) a piece at a time: it rejects a
// sequence at the first byte after which no valid text is possible, as a
// streaming endpoint should (RFC 6455 section 8.1).
type utf8Validator struct {
	need   int  // continuation bytes still to come in the current sequence
	lo, hi byte // the range of the next continuation byte
}

// feed checks p and returns how many of its bytes are valid so far;
// n < len(p) means p[n] is where the text became invalid.
func (v *utf8Validator) feed(p []byte) (n int) {
	for i, b := range p {
		if v.need > 0 {
			if b < v.lo || b > v.hi {
				return i
			}
			v.need--
			v.lo, v.hi = 0x80, 0xBF
			continue
		}
		switch {
		case b < 0x80:
		case b >= 0xC2 && b <= 0xDF:
			v.need, v.lo, v.hi = 1, 0x80, 0xBF
		case b == 0xE0: // no overlong 3-byte forms
			v.need, v.lo, v.hi = 2, 0xA0, 0xBF
		case b == 0xED: // no surrogates U+D800..U+DFFF
			v.need, v.lo, v.hi = 2, 0x80, 0x9F
		case b >= 0xE1 && b <= 0xEF:
			v.need, v.lo, v.hi = 2, 0x80, 0xBF
		case b == 0xF0: // no overlong 4-byte forms
			v.need, v.lo, v.hi = 3, 0x90, 0xBF
		case b >= 0xF1 && b <= 0xF3:
			v.need, v.lo, v.hi = 3, 0x80, 0xBF
		case b == 0xF4: // nothing above U+10FFFF
			v.need, v.lo, v.hi = 3, 0x80, 0x8F
		default: // C0, C1, F5..FF and stray continuation bytes
			return i
		}
	}
	return len(p)
}

// complete reports whether the text fed so far ends on a character
// boundary.
func (v *utf8Validator) complete() bool { return v.need == 0 }

// utf8Reader passes a text message on while validating it: it returns
// errInvalidUTF8, and none of the offending bytes, as soon as the message
// cannot be UTF-8, or at its end if the last character is cut short.
type utf8Reader struct {
	r io.Reader
	v utf8Validator
}

// Read implements io.Reader.
func (u *utf8Reader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if ok := u.v.feed(p[:n]); ok < n {
		return ok, errInvalidUTF8
	}
	if err == io.EOF && !u.v.complete() {
		return n, errInvalidUTF8
	}
	return n, err
}
