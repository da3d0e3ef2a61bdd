package deflate

import (
	"bytes"
	"io"
	"testing"
)

// A message inflated part by part must fail the same whatever was
// inflated before it, on this connection or another. klauspost/compress's
// reader keeps its Huffman tables through Reset and rebuilds only the
// entries a new code uses, so a degenerate code (one symbol, one bit,
// which zlib allows) left the other half of the table as the last
// message had it: decoding the unused bit took a stale entry where a new
// reader reports corrupt data, and a pooled reader accepted this message
// after the ones before it (FuzzLoopInflatedAgainstGoroutines found it:
// the goroutine driver echoed 9,856 bytes that the event loop refused).
func TestStreamingIgnoresEarlierMessages(t *testing.T) {
	small := bytes.Repeat([]byte(`{"a":1,"b":"two"},`), 10)
	large := bytes.Repeat([]byte(`{"id":12345,"name":"widget","tags":["x","y"]},`), 150)
	bad := []byte("\xec\xca\x3b\x0e\x80\x20\x10\x45\xd1\xbd\xbc\x7a\x1a\x7f\xcd\x6c\xc5\x58\x90\x40\x20\x85\x36\x26\xa8\x31\xec\x9d\x6d\x50\xdc\x3e\x21\x63\x02\x7c\x21\x12\x02\x74\x20\x12\x01\x21\x10\x11\x7c\x21\x12\x19\x74\x21\x13\x11\x75\x48\x12\x11\x74\x21\x12\x11\x74\x29\x12\x11\x74\x20\x1a\x10\x74\x21\x12\x18\x76\x20\x63\x13\x73\x29\x1a\x60\x8f\x50\x7a\x10")
	read := func(d *Decompressor, msg []byte, size int) ([]byte, error) {
		d.Begin(&parts{p: cut(msg, size)})
		out, err := io.ReadAll(readerFunc(d.Read))
		d.End()
		return out, err
	}
	fresh := NewDecompressor(15, true)
	if out, err := read(fresh, bad, 43); err == nil {
		t.Fatalf("a new decompressor inflated the corrupt message to %d bytes", len(out))
	}
	for round := range 3 {
		// What the goroutine driver had inflated before it, on other
		// connections: messages in parts, with and without history.
		c := NewCompressor(1, 15, true)
		d := NewDecompressor(15, true)
		for _, m := range [][]byte{small, large, small} {
			if out, err := read(d, c.Compress(nil, m), 10); err != nil || !bytes.Equal(out, m) {
				t.Fatalf("round %d: a good message: %d bytes, %v", round, len(out), err)
			}
		}
		c = NewCompressor(1, 15, true)
		d = NewDecompressor(15, true)
		if out, err := read(d, c.Compress(nil, large), 43); err != nil || !bytes.Equal(out, large) {
			t.Fatalf("round %d: a good message: %d bytes, %v", round, len(out), err)
		}
		d = NewDecompressor(15, true)
		if out, err := read(d, bad, 43); err != ErrCorrupt {
			t.Fatalf("round %d: the corrupt message after others inflated to %d bytes, %v", round, len(out), err)
		}
	}
}
