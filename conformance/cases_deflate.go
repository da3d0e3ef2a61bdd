package conformance

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Categories 12 and 13: permessage-deflate (RFC 7692). The suite
// negotiates the extension on each case's terms, then sends 100 compressed
// messages one after the other, each echoed before the next; the testee
// echoes them (compressed or not, as it likes). The suite inflates with an
// independent implementation and checks every compressed message the
// testee sends: RSV1 on its first frame only, no back-reference beyond the
// agreed window, and no reference to earlier messages where context
// takeover was ruled out. A testee that does not negotiate the extension,
// or cannot on the case's terms, is UNIMPLEMENTED.

// deflateMessages is how many messages each case sends.
const deflateMessages = 100

type deflateSize struct{ n, frag int }

// deflateSizes are the message sizes of category 12: 16 B to 128 KiB in
// one frame, then in frames of a few sizes.
var deflateSizes = []deflateSize{
	{16, 0}, {64, 0}, {256, 0}, {1024, 0}, {4096, 0}, {8192, 0}, {16384, 0}, {32768, 0}, {65536, 0}, {131072, 0},
	{8192, 256}, {16384, 256}, {32768, 256}, {65536, 256}, {131072, 256}, {131072, 1024}, {131072, 4096}, {131072, 32768},
}

// deflateData are the payloads, cut from a long deterministic sample as
// the messages go: JSON-like text, and binary data with the kind of
// redundancy images have.
var deflateData = sync.OnceValue(func() (d struct{ text, binary []byte }) {
	r := rand.New(rand.NewPCG(12, 13))
	var b strings.Builder
	names := []string{"alice", "bob", "carol", "dave", "erin", "frank"}
	for b.Len() < 512<<10 {
		fmt.Fprintf(&b, `{"id":%d,"user":"%s","active":%v,"score":%d.%02d,"tags":["%s","%s"]},`+"\n",
			r.IntN(1000000), names[r.IntN(len(names))], r.IntN(2) == 0, r.IntN(1000), r.IntN(100),
			names[r.IntN(len(names))], names[r.IntN(len(names))])
	}
	d.text = []byte(b.String())
	d.binary = make([]byte, 512<<10)
	for i := range d.binary {
		x, y := i%512, i/512
		d.binary[i] = byte((x*y)>>6) + byte(r.IntN(3))
	}
	return d
})

// deflateCase sends deflateMessages messages of the given size.
func deflateCase(id, terms string, t DeflateTerms, isText bool, size deflateSize) *Case {
	kind := "binary"
	if isText {
		kind = "text"
	}
	frames := "in one frame"
	if size.frag > 0 {
		frames = fmt.Sprintf("in frames of %d compressed bytes", size.frag)
	}
	terms2 := t
	nframes := deflateMessages
	if size.frag > 0 {
		// The compressed size is not known in advance; the uncompressed
		// size bounds the frame count.
		nframes *= (size.n + size.frag - 1) / size.frag
	}
	limit := budget(work{bytes: deflateMessages * size.n, rate: deflateRate, frames: nframes, roundTrips: deflateMessages})
	return &Case{
		ID: id, Modes: BothModes, Deflate: &terms2, Timeout: limit,
		Description: fmt.Sprintf("Negotiate permessage-deflate (%s), then send %d compressed %s messages of %d bytes, %s, each after the previous one came back.",
			terms, deflateMessages, kind, size.n, frames),
		Expectation: "Every message comes back unchanged, compressed or not; what the testee compresses keeps to the agreed window and context takeover. A testee that does not negotiate these terms is UNIMPLEMENTED.",
		Run: func(s *Session) {
			if !s.Deflated() {
				s.mu.Lock()
				if s.unimplemented == "" {
					s.unimplemented = "permessage-deflate was not negotiated"
				}
				s.mu.Unlock()
				s.Expect(OK)
				s.ExpectClose(normalClose)
				s.SendClose(1000, "")
				s.KillAfter(3 * time.Second)
				return
			}
			data := deflateData().binary
			op := opBinary
			if isText {
				data, op = deflateData().text, opText
			}
			var msgs [][]byte
			var expected []Event
			for i := range deflateMessages {
				// Consecutive windows of the sample: text stays UTF-8
				// because the sample is ASCII.
				start := (i * size.n) % (len(data) - size.n)
				m := data[start : start+size.n]
				msgs = append(msgs, m)
				if isText {
					expected = append(expected, TextBytes(m))
				} else {
					expected = append(expected, Binary(m))
				}
			}
			s.Expect(OK, expected...)
			s.ExpectClose(normalClose)
			for i, m := range msgs {
				s.SendCompressed(op, m, size.frag)
				if !s.WaitEvents(i+1, 20*time.Second) {
					return
				}
			}
			s.KillAfter(10 * time.Second)
		},
	}
}

func init() {
	defaults := DeflateTerms{Offers: []DeflateRequest{{}}, Answers: []DeflateRequest{{}}}
	for j, isText := range []bool{true, false} {
		for i, size := range deflateSizes {
			register(deflateCase(fmt.Sprintf("12.%d.%d", j+1, i+1), "the default offer", defaults, isText, size))
		}
	}

	// The parameter combinations: what the suite asks of the testee's
	// compressor. As a client it asks the server (server_no_context_takeover,
	// server_max_window_bits); as a server it asks the client
	// (client_no_context_takeover, client_max_window_bits), if the client's
	// offer allows it.
	combos := []struct {
		desc string
		reqs []DeflateRequest
	}{
		{"no parameters", []DeflateRequest{{}}},
		{"no context takeover", []DeflateRequest{{NoContextTakeover: true}}},
		{"window 8 bits", []DeflateRequest{{MaxWindowBits: 8}}},
		{"window 15 bits", []DeflateRequest{{MaxWindowBits: 15}}},
		{"no context takeover, window 8 bits", []DeflateRequest{{NoContextTakeover: true, MaxWindowBits: 8}}},
		{"no context takeover, window 15 bits", []DeflateRequest{{NoContextTakeover: true, MaxWindowBits: 15}}},
		{"three offers in order: no context takeover with window 8 bits, no context takeover, nothing",
			[]DeflateRequest{{NoContextTakeover: true, MaxWindowBits: 8}, {NoContextTakeover: true}, {}}},
	}
	sizes := []deflateSize{{16, 0}, {1024, 0}, {16384, 0}, {131072, 0}, {65536, 256}}
	for j, c := range combos {
		terms := DeflateTerms{Offers: c.reqs, Answers: c.reqs}
		for i, size := range sizes {
			register(deflateCase(fmt.Sprintf("13.%d.%d", j+1, i+1), c.desc, terms, true, size))
		}
	}
}
