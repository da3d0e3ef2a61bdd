package wsframe

// UTF8 validates UTF-8 incrementally: a text message arriving in frames, and
// frames arriving in parts, are fed to it in order. It fails fast: Feed
// returns false at the first byte that can no longer be part of a valid
// sequence (an overlong form, a surrogate, a code point above U+10FFFF or a
// stray continuation byte), without waiting for the sequence or the message
// to end. The zero value is ready to use and holds 3 bytes of state.
type UTF8 struct {
	need   uint8 // continuation bytes still expected
	lo, hi uint8 // accepted range of the next continuation byte
}

// Reset forgets any partial sequence.
func (v *UTF8) Reset() { *v = UTF8{} }

// Complete reports whether the input so far ended on a sequence boundary;
// a message whose validator is not complete at its end is invalid.
func (v *UTF8) Complete() bool { return v.need == 0 }

// ValidUTF8 reports whether p is entirely valid UTF-8.
func ValidUTF8(p []byte) bool {
	var v UTF8
	return v.Feed(p) && v.Complete()
}

// seqInfo describes a lead byte: the sequence length in the low 3 bits (0
// for a byte that cannot start a sequence) and, in the high bits, which
// range the second byte must fall in.
var seqInfo = buildSeqInfo()

// secondByte holds the accepted ranges for the byte after a lead byte, from
// the table of well-formed sequences in the Unicode standard (section 3.9):
// E0 needs A0–BF (no overlongs), ED needs 80–9F (no surrogates), F0 needs
// 90–BF (no overlongs), F4 needs 80–8F (nothing above U+10FFFF).
var secondByte = [5][2]uint8{
	{0x80, 0xBF},
	{0xA0, 0xBF},
	{0x80, 0x9F},
	{0x90, 0xBF},
	{0x80, 0x8F},
}

func buildSeqInfo() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		switch {
		case c < 0x80:
			t[c] = 1
		case c < 0xC2: // continuation bytes and the overlong leads C0, C1
			t[c] = 0
		case c < 0xE0:
			t[c] = 2
		case c == 0xE0:
			t[c] = 3 | 1<<4
		case c == 0xED:
			t[c] = 3 | 2<<4
		case c < 0xF0:
			t[c] = 3
		case c == 0xF0:
			t[c] = 4 | 3<<4
		case c < 0xF4:
			t[c] = 4
		case c == 0xF4:
			t[c] = 4 | 4<<4
		default: // F5–FF encode nothing
			t[c] = 0
		}
	}
	return t
}

// Feed validates the next part of the input. It returns false as soon as a
// part holds a byte that makes the input invalid; the validator is then
// spent until Reset. A sequence cut off at the end of a part is checked as
// far as it goes (0xF4 0x90 fails at once, since nothing can follow it) and
// completed by the next part.
func (v *UTF8) Feed(p []byte) bool {
	// Most parts end in ASCII with no sequence pending from the part
	// before; they go to the block validator whole, without the look for
	// a sequence cut off at the end, which costs about as much as the
	// validation itself for a message of a few dozen bytes.
	if v.need == 0 && len(p) > 0 && p[len(p)-1] < 0x80 {
		return validWhole(p)
	}
	return v.feed(p)
}

// feed is Feed for a part that continues a sequence or may leave one open.
func (v *UTF8) feed(p []byte) bool {
	i := 0
	for v.need > 0 {
		if i == len(p) {
			return true
		}
		if c := p[i]; c < v.lo || c > v.hi {
			return false
		}
		v.lo, v.hi = 0x80, 0xBF
		v.need--
		i++
	}
	// Whole sequences go to a block validator (vectorised where the CPU
	// allows); only a sequence cut off at the end is checked here.
	end := len(p)
	for k := 1; k <= 3 && k <= len(p)-i; k++ {
		c := p[len(p)-k]
		if c&0xC0 != 0x80 {
			if int(seqInfo[c]&7) > k {
				end = len(p) - k
			}
			break
		}
	}
	if !validWhole(p[i:end]) {
		return false
	}
	if end == len(p) {
		return true
	}
	info := seqInfo[p[end]]
	r := secondByte[info>>4]
	return v.feedTail(p[end+1:], r[0], r[1], info&7-1)
}

// feedTail checks the bytes of a sequence cut off by the end of the input
// and remembers what the next part must continue with.
func (v *UTF8) feedTail(rest []byte, lo, hi, need uint8) bool {
	for _, c := range rest {
		if c < lo || c > hi {
			return false
		}
		lo, hi = 0x80, 0xBF
		need--
	}
	v.lo, v.hi, v.need = lo, hi, need
	return true
}
