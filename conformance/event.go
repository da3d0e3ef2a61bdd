package conformance

import (
	"bytes"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// Event is something the suite received from the testee, or a mark the
// case made (a timeout that passed with the connection still open).
type Event struct {
	Kind    string // "message", "ping", "pong" or "timeout"
	Binary  bool   // for messages
	Payload []byte // for messages, pings and pongs
	Label   string // for timeouts
}

// Text is a text message event.
func Text(s string) Event { return Event{Kind: "message", Payload: []byte(s)} }

// TextBytes is a text message event with a payload given as bytes.
func TextBytes(b []byte) Event { return Event{Kind: "message", Payload: b} }

// Binary is a binary message event.
func Binary(b []byte) Event { return Event{Kind: "message", Binary: true, Payload: b} }

// Ping is a ping event.
func Ping(b []byte) Event { return Event{Kind: "ping", Payload: b} }

// Pong is a pong event.
func Pong(b []byte) Event { return Event{Kind: "pong", Payload: b} }

// Timeout marks that a wait ended with the connection still open.
func Timeout(label string) Event { return Event{Kind: "timeout", Label: label} }

func (e Event) equal(o Event) bool {
	return e.Kind == o.Kind && e.Binary == o.Binary && e.Label == o.Label && bytes.Equal(e.Payload, o.Payload)
}

func eventsEqual(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].equal(b[i]) {
			return false
		}
	}
	return true
}

// eventJSON is how an event appears in reports: payloads are shown as
// text when they are printable UTF-8, else as hex, and cut at 256 bytes.
type eventJSON struct {
	Kind    string `json:"kind"`
	Type    string `json:"type,omitempty"`
	Length  int    `json:"length,omitempty"`
	Payload string `json:"payload,omitempty"`
	Hex     bool   `json:"hex,omitempty"`
	Label   string `json:"label,omitempty"`
	Repeat  int    `json:"repeat,omitempty"` // this event, so many times in a row
}

const shownPayload = 256

func (e Event) json() eventJSON {
	j := eventJSON{Kind: e.Kind, Label: e.Label, Length: len(e.Payload)}
	if e.Kind == "message" {
		j.Type = "text"
		if e.Binary {
			j.Type = "binary"
		}
	}
	p := e.Payload
	cut := len(p) > shownPayload
	if cut {
		p = p[:shownPayload]
	}
	if !e.Binary && utf8.Valid(p) && printable(p) {
		j.Payload = string(p)
	} else {
		j.Payload, j.Hex = hex.EncodeToString(p), true
	}
	if cut {
		j.Payload += "…"
	}
	return j
}

func printable(p []byte) bool {
	for _, c := range p {
		if c < 0x20 && c != '\n' && c != '\t' {
			return false
		}
	}
	return true
}

func (e Event) String() string {
	j := e.json()
	s := j.Kind
	if j.Type != "" {
		s += " " + j.Type
	}
	if j.Label != "" {
		s += " " + j.Label
	}
	if e.Kind != "timeout" {
		s += " (" + strconv.Itoa(j.Length) + " bytes)"
	}
	return s
}
