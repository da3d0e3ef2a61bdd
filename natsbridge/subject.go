package natsbridge

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultPrefix is the subject prefix when Options.Prefix is empty.
const DefaultPrefix = "fastws.hub"

// emptyTopic is the token of the empty topic: a lone '%', which escape
// never writes for a non-empty topic since its '%' always has two hex
// digits after it.
const emptyTopic = "%"

// maxSubjectLen bounds a subject so that the PUB and MSG protocol lines
// that carry it stay under NATS' default 4096-byte control line limit; a
// longer line would make the server close the whole connection.
const maxSubjectLen = 4000

// ErrTopicTooLong is returned by Relay for a topic whose subject would be
// longer than NATS accepts in a protocol line.
var ErrTopicTooLong = errors.New("natsbridge: topic too long for a NATS subject")

const upperHex = "0123456789ABCDEF"

// plain reports whether escape keeps c as it is.
func plain(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-'
}

// escape returns topic as one subject token (see the package doc).
func escape(topic string) string {
	if topic == "" {
		return emptyTopic
	}
	n := 0
	for i := 0; i < len(topic); i++ {
		if !plain(topic[i]) {
			n++
		}
	}
	if n == 0 {
		return topic // the common case costs no allocation
	}
	var b strings.Builder
	b.Grow(len(topic) + 2*n)
	for i := 0; i < len(topic); i++ {
		c := topic[i]
		if plain(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&0xF])
	}
	return b.String()
}

// unescape returns the topic of a token escape made. It accepts only
// what escape writes (uppercase hex, and no escaped plain byte), so that
// a topic has exactly one token and escape(unescape(tok)) == tok.
func unescape(tok string) (string, error) {
	if tok == emptyTopic {
		return "", nil
	}
	if tok == "" {
		return "", errors.New("natsbridge: empty subject token")
	}
	if !strings.Contains(tok, "%") {
		for i := 0; i < len(tok); i++ {
			if !plain(tok[i]) {
				return "", fmt.Errorf("natsbridge: byte %#02x unescaped in subject token", tok[i])
			}
		}
		return tok, nil
	}
	out := make([]byte, 0, len(tok))
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if plain(c) {
			out = append(out, c)
			continue
		}
		if c != '%' {
			return "", fmt.Errorf("natsbridge: byte %#02x unescaped in subject token", c)
		}
		if i+2 >= len(tok) {
			return "", errors.New("natsbridge: truncated escape in subject token")
		}
		hi, lo := unhex(tok[i+1]), unhex(tok[i+2])
		if hi < 0 || lo < 0 {
			return "", fmt.Errorf("natsbridge: bad escape %q in subject token", tok[i:i+3])
		}
		d := byte(hi<<4 | lo)
		if plain(d) {
			return "", fmt.Errorf("natsbridge: needless escape %q in subject token", tok[i:i+3])
		}
		out = append(out, d)
		i += 2
	}
	return string(out), nil
}

// unhex is the value of an uppercase hex digit, or -1: lowercase is
// refused so that every topic has one spelling.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// checkPrefix refuses a prefix that is not a literal subject: a wildcard
// would subscribe to other subjects than the bridge publishes on, and an
// empty token or whitespace is a protocol error.
func checkPrefix(p string) error {
	for tok := range strings.SplitSeq(p, ".") {
		if tok == "" {
			return fmt.Errorf("natsbridge: prefix %q has an empty token", p)
		}
		for i := 0; i < len(tok); i++ {
			if c := tok[i]; c <= ' ' || c == 0x7F || c == '*' || c == '>' {
				return fmt.Errorf("natsbridge: prefix %q has a wildcard, a space or a control byte", p)
			}
		}
	}
	if len(p)+2 > maxSubjectLen {
		return fmt.Errorf("natsbridge: prefix %q is too long", p)
	}
	return nil
}
