package testee

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// utf8Samples are valid and invalid texts around every boundary of the
// validator's table.
var utf8Samples = []string{
	"", "hello", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbf",
	"\xf0\x90\x80\x80", "\xf4\x8f\xbf\xbf", "κόσμε",
	"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xc2", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
	"\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
	"κόσμε\xed\xa0\x80edited", "κόσμε\xf4", "a\xe2\x82", "\xe2\x82\xac\xe2\x82",
}

func TestValidatorAgreesWithUnicodeUTF8(t *testing.T) {
	for _, s := range utf8Samples {
		var v utf8Validator
		got := v.feed([]byte(s)) == len(s) && v.complete()
		if got != utf8.ValidString(s) {
			t.Errorf("%q: validator says %v, utf8.ValidString %v", s, got, !got)
		}
	}
	// Every two-byte sequence, which covers every lead/continuation pair.
	for a := 0; a < 256; a++ {
		for b := 0; b < 256; b++ {
			p := []byte{byte(a), byte(b)}
			var v utf8Validator
			got := v.feed(p) == 2 && v.complete()
			if got != utf8.Valid(p) {
				t.Fatalf("% x: validator says %v", p, got)
			}
		}
	}
}

// oneByteReader returns one byte per Read, as a message that arrives in
// small pieces would.
type oneByteReader struct{ p []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.p) == 0 {
		return 0, io.EOF
	}
	p[0], r.p = r.p[0], r.p[1:]
	return 1, nil
}

func TestReaderFailsAtTheFirstInvalidByte(t *testing.T) {
	for _, s := range utf8Samples {
		var out bytes.Buffer
		_, err := io.Copy(&out, &utf8Reader{r: &oneByteReader{p: []byte(s)}})
		if utf8.ValidString(s) != (err == nil) {
			t.Errorf("%q: err %v", s, err)
		}
		if err != nil && !errors.Is(err, errInvalidUTF8) {
			t.Errorf("%q: err %v, want errInvalidUTF8", s, err)
		}
		if !bytes.HasPrefix([]byte(s), out.Bytes()) {
			t.Errorf("%q: passed on %q, not a prefix", s, out.Bytes())
		}
	}
	// The surrogate's second byte is the first one no valid text has.
	var out bytes.Buffer
	io.Copy(&out, &utf8Reader{r: &oneByteReader{p: []byte("κόσμε\xed\xa0\x80edited")}})
	if want := "κόσμε\xed"; out.String() != want {
		t.Errorf("passed on %q, want %q", out.String(), want)
	}
}
