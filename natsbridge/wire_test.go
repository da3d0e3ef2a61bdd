package natsbridge

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fastws/fastws"
)

func TestWireRoundTrip(t *testing.T) {
	origin := nodeID{0: 0xAB, 15: 0xCD}
	for _, typ := range []fastws.MessageType{fastws.Text, fastws.Binary, fastws.Text | fastws.Uncompressed, fastws.Binary | fastws.Uncompressed} {
		for _, payload := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{'x'}, 70000)} {
			pm, err := fastws.NewPreparedMessage(typ, payload)
			if err != nil {
				t.Fatal(err)
			}
			b := appendMessage(nil, origin, 1<<40+7, pm)
			if len(b) != headerLen+len(payload) || b[0] != wireVersion {
				t.Fatalf("%v: encoded %d bytes, version %d", typ, len(b), b[0])
			}
			m, err := decode(b)
			if err != nil {
				t.Fatalf("%v: %v", typ, err)
			}
			if m.typ != typ || m.origin != origin || m.seq != 1<<40+7 || !bytes.Equal(m.payload, payload) {
				t.Fatalf("%v: decoded %v %x %d, %d bytes", typ, m.typ, m.origin, m.seq, len(m.payload))
			}
		}
	}
}

// The header's layout is the documented one, byte for byte: other
// implementations may read it.
func TestWireLayout(t *testing.T) {
	pm, _ := fastws.NewPreparedMessage(fastws.Binary|fastws.Uncompressed, []byte{0xEE})
	origin := nodeID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	got := appendMessage(nil, origin, 0x0102030405060708, pm)
	want := []byte{1, 0b11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6, 7, 8, 0xEE}
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded\n%x, want\n%x", got, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	pm, _ := fastws.NewPreparedMessage(fastws.Text, []byte("hi"))
	good := appendMessage(nil, nodeID{}, 1, pm)
	for _, c := range []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, errShort},
		{"one byte", []byte{1}, errShort},
		{"version 0", append([]byte{0}, good[1:]...), errVersion},
		{"version 2", append([]byte{2}, good[1:]...), errVersion},
		{"version 2, short", []byte{2, 0}, errVersion},
		{"header cut", good[:headerLen-1], errShort},
		{"unknown flag", append([]byte{1, 4}, good[2:]...), errFlags},
	} {
		if _, err := decode(c.b); !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
		}
	}
	if m, err := decode(good[:headerLen]); err != nil || len(m.payload) != 0 {
		t.Errorf("an empty payload: %v", err)
	}
}

// Decoding takes no memory of its own: the payload stays where NATS put
// it.
func TestDecodeAllocs(t *testing.T) {
	pm, _ := fastws.NewPreparedMessage(fastws.Text, bytes.Repeat([]byte{'x'}, 1000))
	b := appendMessage(nil, nodeID{}, 1, pm)
	if n := testing.AllocsPerRun(100, func() { _, _ = decode(b) }); n != 0 {
		t.Errorf("decode allocates %v times", n)
	}
}

func FuzzDecode(f *testing.F) {
	pm, _ := fastws.NewPreparedMessage(fastws.Binary, []byte("payload"))
	good := appendMessage(nil, nodeID{9}, 42, pm)
	f.Add(good)
	f.Add(good[:headerLen])
	f.Add(good[:5])
	f.Add([]byte{})
	f.Add([]byte{2, 0})
	f.Add(append([]byte{1, 0xFF}, good[2:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decode(b)
		if err != nil {
			return
		}
		if len(m.payload) != len(b)-headerLen || len(m.payload) > 0 && &m.payload[0] != &b[headerLen] {
			t.Fatalf("the payload is not the message's tail")
		}
		pm, err := fastws.NewPreparedMessage(m.typ, m.payload)
		if err != nil {
			return // text that is not UTF-8: the receiver counts it bad
		}
		if again := appendMessage(nil, m.origin, m.seq, pm); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded\n%x, decoded from\n%x", again, b)
		}
	})
}
