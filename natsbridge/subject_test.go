package natsbridge

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for _, c := range []struct{ topic, token string }{
		{"", "%"},
		{"room", "room"},
		{"Room_1-a", "Room_1-a"},
		{"a.b", "a%2Eb"},
		{"*", "%2A"},
		{">", "%3E"},
		{"a b\t", "a%20b%09"},
		{"%", "%25"},
		{"%41", "%2541"},
		{"é", "%C3%A9"},
		{"\x00\xff", "%00%FF"},
	} {
		if got := escape(c.topic); got != c.token {
			t.Errorf("escape(%q) = %q, want %q", c.topic, got, c.token)
		}
		if got, err := unescape(c.token); err != nil || got != c.topic {
			t.Errorf("unescape(%q) = %q, %v, want %q", c.token, got, err, c.topic)
		}
	}
}

func TestUnescapeRefuses(t *testing.T) {
	for _, tok := range []string{
		"", "a.b", "*", ">", "a b", "%2", "%%", "%2e", "%41", "%G0", "ab%", "%%41", "é", "a%2Eb.c",
	} {
		if got, err := unescape(tok); err == nil {
			t.Errorf("unescape(%q) = %q, want an error", tok, got)
		}
	}
}

// checkToken fails unless tok is a single literal NATS subject token.
func checkToken(t *testing.T, tok string) {
	t.Helper()
	if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, ". \t\r\n*>") {
		t.Fatalf("%q is not one literal subject token", tok)
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] < 0x21 || tok[i] > 0x7E {
			t.Fatalf("%q has byte %#x", tok, tok[i])
		}
	}
}

func FuzzSubjectEscape(f *testing.F) {
	for _, s := range []string{"", "%", "room", "a.b", "%2E", "%2e", "%41", "%", "%%", "%C3%A9", "é", "*", ">", "a%2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// s as a topic: one token, and back.
		tok := escape(s)
		checkToken(t, tok)
		if got, err := unescape(tok); err != nil || got != s {
			t.Fatalf("unescape(escape(%q)) = %q, %v", s, got, err)
		}
		// s as a token from the wire: a topic has one spelling.
		if topic, err := unescape(s); err == nil {
			if back := escape(topic); back != s {
				t.Fatalf("unescape(%q) = %q, which escapes to %q", s, topic, back)
			}
		}
	})
}
