package conformance

import "unicode/utf8"

// utf8Group is a set of byte sequences that probe one aspect of UTF-8
// (RFC 3629), each sent as a whole text message. Whether a sequence is
// valid is decided by the standard library's validator, so the catalogue
// cannot contradict RFC 3629 by a typo.
type utf8Group struct {
	name string
	seqs []string
}

// utf8Groups follows the structure of the well-known UTF-8 decoder stress
// test: correct text, boundary code points, malformed sequences, overlong
// forms, surrogates and non-characters.
func utf8Groups() []utf8Group {
	kosme := "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" // κόσμε
	var prefixes []string
	for i := 1; i <= len(kosme); i++ {
		prefixes = append(prefixes, kosme[:i])
	}
	var continuation string
	for c := 0x80; c <= 0xbf; c++ {
		continuation += string([]byte{byte(c)})
	}
	lonely := func(from, to byte) string {
		var s []byte
		for c := from; c <= to; c++ {
			s = append(s, c, ' ')
		}
		return string(s)
	}
	missingLast := []string{"\xc0", "\xe0\x80", "\xf0\x80\x80", "\xf8\x80\x80\x80", "\xfc\x80\x80\x80\x80",
		"\xdf", "\xef\xbf", "\xf7\xbf\xbf", "\xfb\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf"}
	var allMissing string
	for _, s := range missingLast {
		allMissing += s
	}
	var nonchars []string
	nonchars = append(nonchars, "\xef\xbf\xbe", "\xef\xbf\xbf")
	for _, lead := range []byte{0xf0, 0xf1, 0xf2, 0xf3, 0xf4} {
		for _, second := range []byte{0x8f, 0x9f, 0xaf, 0xbf} {
			for _, last := range []byte{0xbe, 0xbf} {
				s := string([]byte{lead, second, 0xbf, last})
				if utf8.ValidString(s) { // skips overlong F0 8F.. and beyond U+10FFFF
					nonchars = append(nonchars, s)
				}
			}
		}
	}
	return []utf8Group{
		{"Valid UTF-8 text", []string{"hello\x24world", "hello\xc2\xa2world", "hello\xe2\x82\xacworld", "hello\xf0\xa4\xad\xa2world", kosme}},
		{"Every prefix of a valid string with multi-byte characters", prefixes},
		{"First possible sequence of each length", []string{"\x00", "\xc2\x80", "\xe0\xa0\x80", "\xf0\x90\x80\x80"}},
		{"First possible 5- and 6-byte sequences (beyond Unicode)", []string{"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80"}},
		{"Last possible sequence of each length", []string{"\x7f", "\xdf\xbf", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"}},
		{"Last possible 4-, 5- and 6-byte sequences (beyond U+10FFFF)", []string{"\xf7\xbf\xbf\xbf", "\xfb\xbf\xbf\xbf\xbf", "\xfd\xbf\xbf\xbf\xbf\xbf"}},
		{"Other boundaries", []string{"\xed\x9f\xbf", "\xee\x80\x80", "\xef\xbf\xbd", "\xf4\x8f\xbf\xbf", "\xf4\x90\x80\x80"}},
		{"Unexpected continuation bytes", []string{"\x80", "\xbf", "\x80\xbf", "\x80\xbf\x80", "\x80\xbf\x80\xbf", "\x80\xbf\x80\xbf\x80", "\x80\xbf\x80\xbf\x80\xbf", continuation}},
		{"Lonely start bytes, each followed by a space", []string{lonely(0xc0, 0xdf), lonely(0xe0, 0xef), lonely(0xf0, 0xf7), lonely(0xf8, 0xfb), lonely(0xfc, 0xfd)}},
		{"Sequences with the last continuation byte missing", missingLast},
		{"Concatenation of incomplete sequences", []string{allMissing}},
		{"Impossible bytes", []string{"\xfe", "\xff", "\xfe\xfe\xff\xff"}},
		{"Overlong encodings of '/'", []string{"\xc0\xaf", "\xe0\x80\xaf", "\xf0\x80\x80\xaf", "\xf8\x80\x80\x80\xaf", "\xfc\x80\x80\x80\x80\xaf"}},
		{"Maximum overlong sequences", []string{"\xc1\xbf", "\xe0\x9f\xbf", "\xf0\x8f\xbf\xbf", "\xf8\x87\xbf\xbf\xbf", "\xfc\x83\xbf\xbf\xbf\xbf"}},
		{"Overlong encodings of NUL", []string{"\xc0\x80", "\xe0\x80\x80", "\xf0\x80\x80\x80", "\xf8\x80\x80\x80\x80", "\xfc\x80\x80\x80\x80\x80"}},
		{"Single UTF-16 surrogates", []string{"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xaf\xbf", "\xed\xb0\x80", "\xed\xbe\x80", "\xed\xbf\xbf"}},
		{"Paired UTF-16 surrogates", []string{"\xed\xa0\x80\xed\xb0\x80", "\xed\xa0\x80\xed\xbf\xbf", "\xed\xad\xbf\xed\xb0\x80", "\xed\xad\xbf\xed\xbf\xbf",
			"\xed\xae\x80\xed\xb0\x80", "\xed\xae\x80\xed\xbf\xbf", "\xed\xaf\xbf\xed\xb0\x80", "\xed\xaf\xbf\xed\xbf\xbf"}},
		{"Non-characters (valid UTF-8)", nonchars},
		{"Specials, among them the replacement character (valid UTF-8)", []string{"\xef\xbf\xb9", "\xef\xbf\xba", "\xef\xbf\xbb", "\xef\xbf\xbc", "\xef\xbf\xbd", "\xef\xbf\xbe", "\xef\xbf\xbf"}},
	}
}
