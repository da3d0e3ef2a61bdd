package main

import (
	"strings"
	"testing"
	"time"
)

func TestCheckName(t *testing.T) {
	for in, want := range map[string]string{
		"alice": "alice", "  bob  ": "bob", "Zoë Ünal": "Zoë Ünal", "李小龍": "李小龍", "a&b \"q\"": "a&b \"q\"",
		strings.Repeat("n", maxNameLen): strings.Repeat("n", maxNameLen), strings.Repeat("é", maxNameLen): strings.Repeat("é", maxNameLen),
	} {
		if got, err := checkName(in); err != nil || got != want {
			t.Errorf("checkName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "   ", strings.Repeat("n", maxNameLen+1), "<b>", "a>b", "tab\there", "n\nl", "\x00", "\u200b", "rtl\u202e", "del\x7f", "c1\u0085x"} {
		if got, err := checkName(in); err == nil {
			t.Errorf("checkName(%q) = %q, want an error", in, got)
		}
	}
}

func TestCheckRoom(t *testing.T) {
	for _, ok := range []string{"lobby", "Room_2", "a-b", strings.Repeat("r", maxRoomLen)} {
		if err := checkRoom(ok); err != nil {
			t.Errorf("checkRoom(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "a b", "a.b", "*", ">", "é", "%41", strings.Repeat("r", maxRoomLen+1)} {
		if checkRoom(bad) == nil {
			t.Errorf("checkRoom(%q) accepted", bad)
		}
	}
}

func TestCheckText(t *testing.T) {
	for _, ok := range []string{"hi", "two\nlines", "tab\there", "<script>alert(1)</script>", strings.Repeat("é", maxTextLen)} {
		if err := checkText(ok); err != nil {
			t.Errorf("checkText(%.20q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", " \n\t", strings.Repeat("x", maxTextLen+1), "\x1b[31mred", "a\rb", "\u2028", "c1\u009b"} {
		if checkText(bad) == nil {
			t.Errorf("checkText(%.20q) accepted", bad)
		}
	}
}

func TestTokenBucket(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	b := newTokenBucket(5, 10, t0)
	for i := range 10 {
		if !b.take(t0) {
			t.Fatalf("message %d of the burst refused", i)
		}
	}
	if b.take(t0) {
		t.Fatal("the 11th message of a burst passed")
	}
	if !b.take(t0.Add(200*time.Millisecond)) || b.take(t0.Add(200*time.Millisecond)) {
		t.Fatal("200 ms at 5/s is one message")
	}
	// A long silence refills to the burst, not beyond.
	later := t0.Add(time.Hour)
	n := 0
	for b.take(later) {
		n++
	}
	if n != 10 {
		t.Fatalf("after an hour %d messages passed at once, want 10", n)
	}
	// A clock that steps back takes nothing away and gives nothing.
	if b.take(t0) {
		t.Fatal("a clock stepping back refilled the bucket")
	}
	unlimited := newTokenBucket(0, 1, t0)
	for range 1000 {
		if !unlimited.take(t0) {
			t.Fatal("rate 0 limited")
		}
	}
}

func TestParseChatRequest(t *testing.T) {
	r, err := parseChatRequest([]byte(`{"type":"join","room":"r","name":"n","extra":[1]}`))
	if err != nil || r != (chatRequest{Type: "join", Room: "r", Name: "n"}) {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []string{``, `null`, `{}`, `{"type":""}`, `[]`, `"say"`, `{"type":1}`, `{"type":"say"} {"type":"say"}`} {
		if _, err := parseChatRequest([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
