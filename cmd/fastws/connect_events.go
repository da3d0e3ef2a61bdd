package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/fastws/fastws"
)

// eventPrinter writes what happens on a connection to stdout (or above
// the prompt): messages received, and with -show-control the pings, pongs
// and close frames; with -jsonl every event in both directions as one
// JSON object a line. Several goroutines print (the reader, the pinger,
// the sender), so each event is written whole under a lock.
type eventPrinter struct {
	mu          sync.Mutex
	w           io.Writer
	show        string // text, hex or base64
	showControl bool
	timestamps  bool
	jsonl       bool
	now         func() time.Time
	buf         []byte
}

func newEventPrinter(f *connectFlags, w io.Writer) *eventPrinter {
	return &eventPrinter{w: w, show: f.show, showControl: f.showControl, timestamps: f.timestamps, jsonl: f.jsonl, now: time.Now}
}

// The directions of an event.
const (
	dirIn  = "in"
	dirOut = "out"
)

// event is one line of -jsonl output.
type event struct {
	Time     string `json:"time"`
	Dir      string `json:"dir"`
	Type     string `json:"type"`
	Size     int    `json:"size"`
	Payload  string `json:"payload,omitempty"`
	Encoding string `json:"encoding,omitempty"` // hex or base64 when the payload is encoded
	Code     int    `json:"code,omitempty"`
	Reason   string `json:"reason,omitempty"`
	RTT      string `json:"rtt,omitempty"` // a pong's round trip since its ping
}

// message prints a data message. Messages sent are printed only as JSON
// lines: in pipe mode they are stdin's, on a terminal they were typed.
func (p *eventPrinter) message(dir string, typ fastws.MessageType, payload []byte) {
	if dir == dirOut && !p.jsonl {
		return
	}
	kind := "text"
	if typ == fastws.Binary {
		kind = "binary"
	}
	p.print(event{Dir: dir, Type: kind, Size: len(payload)}, payload, false)
}

// control prints a ping or a pong (with -show-control, or as JSON).
func (p *eventPrinter) control(dir, kind string, payload []byte, rtt time.Duration) {
	if !p.showControl && !p.jsonl {
		return
	}
	e := event{Dir: dir, Type: kind, Size: len(payload)}
	if rtt > 0 {
		e.RTT = rtt.Round(time.Microsecond).String()
	}
	p.print(e, payload, true)
}

// closeFrame prints a close frame sent or received.
func (p *eventPrinter) closeFrame(dir string, code fastws.CloseCode, reason string) {
	if !p.showControl && !p.jsonl {
		return
	}
	p.print(event{Dir: dir, Type: "close", Size: closeSize(code, reason), Code: int(code), Reason: reason}, nil, true)
}

// note prints a line of the command's own (a ping left unanswered) where
// the events go: as a control event it is shown only when those are.
func (p *eventPrinter) note(text string) {
	if !p.showControl && !p.jsonl {
		return
	}
	p.print(event{Dir: dirOut, Type: "note", Reason: text}, nil, true)
}

func closeSize(code fastws.CloseCode, reason string) int {
	if code == fastws.CloseNoStatus {
		return 0
	}
	return 2 + len(reason)
}

func (p *eventPrinter) print(e event, payload []byte, ctrl bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := p.buf[:0]
	now := p.now()
	if p.jsonl {
		e.Time = now.UTC().Format(time.RFC3339Nano)
		if len(payload) > 0 {
			e.Payload, e.Encoding = p.encodeJSON(e.Type, payload)
		}
		line, _ := json.Marshal(e)
		b = append(append(b, line...), '\n')
	} else {
		if p.timestamps {
			b = now.AppendFormat(b, "15:04:05.000000 ")
		}
		if ctrl {
			b = p.appendControl(b, e, payload)
		} else {
			b = p.appendPayload(b, payload)
		}
		b = append(b, '\n')
	}
	p.w.Write(b)
	p.buf = b
}

// appendControl is the text form of a control event: an arrow for its
// direction, its type, and what it carries.
func (p *eventPrinter) appendControl(b []byte, e event, payload []byte) []byte {
	arrow := "< "
	if e.Dir == dirOut {
		arrow = "> "
	}
	if e.Type == "note" {
		return append(append(b, "# "...), e.Reason...)
	}
	b = append(append(b, arrow...), e.Type...)
	if e.Type == "close" {
		if e.Code == 0 {
			return append(b, " (no code)"...)
		}
		b = append(append(b, ' '), fastws.CloseCode(e.Code).String()...)
		if e.Reason != "" {
			b = strconv.AppendQuote(append(b, ' '), e.Reason)
		}
		return b
	}
	if len(payload) > 0 {
		b = append(b, ' ')
		if p.show == "text" {
			b = strconv.AppendQuote(b, string(payload))
		} else {
			b = p.appendPayload(b, payload)
		}
	}
	if e.RTT != "" {
		b = append(append(b, " rtt "...), e.RTT...)
	}
	return b
}

func (p *eventPrinter) appendPayload(b, payload []byte) []byte {
	switch p.show {
	case "hex":
		return hex.AppendEncode(b, payload)
	case "base64":
		return base64.StdEncoding.AppendEncode(b, payload)
	}
	return append(b, payload...)
}

// encodeJSON is the payload as a JSON string: as it is for text (and for
// control payloads that are UTF-8) unless -show asks for an encoding;
// binary payloads in base64 unless -show hex.
func (p *eventPrinter) encodeJSON(kind string, payload []byte) (string, string) {
	enc := p.show
	if enc == "text" {
		if kind != "binary" && utf8.Valid(payload) {
			return string(payload), ""
		}
		enc = "base64"
	}
	if enc == "hex" {
		return hex.EncodeToString(payload), enc
	}
	return base64.StdEncoding.EncodeToString(payload), enc
}
