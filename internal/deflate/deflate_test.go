package deflate

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	stdflate "compress/flate"

	"github.com/fastws/fastws/internal/flatecheck"
	"github.com/klauspost/compress/flate"
)

// parts is a Source over a message cut into parts.
type parts struct {
	p   [][]byte
	err error
}

func (s *parts) Next() ([]byte, bool, error) {
	if len(s.p) == 0 {
		if s.err != nil {
			return nil, false, s.err
		}
		return nil, true, nil
	}
	p := s.p[0]
	s.p = s.p[1:]
	return p, len(s.p) == 0 && s.err == nil, nil
}

func cut(b []byte, size int) [][]byte {
	var out [][]byte
	for len(b) > size {
		out = append(out, b[:size])
		b = b[size:]
	}
	return append(out, b)
}

func inflate(t *testing.T, d *Decompressor, compressed []byte, size int) []byte {
	t.Helper()
	d.Begin(&parts{p: cut(compressed, size)})
	out, err := io.ReadAll(readerFunc(d.Read))
	if err != nil {
		t.Fatalf("inflate: %v", err)
	}
	return out
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func jsonish(r *rand.Rand, n int) []byte {
	words := []string{`{"id":`, `"name":"`, `alice`, `bob`, `","tags":[`, `"x"`, `],"score":`, `}`, `,`, `true`, `null`}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteString(string(rune('0' + r.IntN(10))))
	}
	return []byte(b.String()[:n])
}

// Messages round-trip through every window size, with and without context
// takeover, in both whole and chopped input, and with the compressor's
// writer released between some messages.
func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for bits := 8; bits <= 15; bits++ {
		for _, takeover := range []bool{false, true} {
			c := NewCompressor(1, bits, takeover)
			d := NewDecompressor(bits, takeover)
			for i := range 40 {
				msg := jsonish(r, []int{0, 1, 20, 300, 5000, 70000}[i%6])
				comp := c.Compress(nil, msg)
				if i%7 == 3 {
					c.Release()
				}
				got := inflate(t, d, comp, 1+i%13*97)
				if !bytes.Equal(got, msg) {
					t.Fatalf("bits %d takeover %v message %d: round trip differs", bits, takeover, i)
				}
			}
		}
	}
}

// The compressor never refers further back than its window: the standard
// library can only inflate with a full window, so check with our own
// decompressor limited to 2^bits of history, on data that repeats at
// distances just beyond small windows.
func TestWindowRespected(t *testing.T) {
	for _, bits := range []int{8, 9, 10, 12} {
		unit := make([]byte, 1<<bits+50)
		rng := rand.New(rand.NewPCG(uint64(bits), 3))
		for i := range unit {
			unit[i] = byte(rng.Uint32())
		}
		msg := bytes.Repeat(unit, 4)
		c := NewCompressor(1, bits, true)
		d := NewDecompressor(bits, true)
		for i := range 4 {
			if i == 2 {
				c.Release() // the next writer is primed from the window
			}
			comp := c.Compress(nil, msg)
			// A decompressor that keeps more history than 2^bits would
			// also succeed, so instead check every back-reference with a
			// strict window checker.
			if err := flatecheck.CheckDistances(comp, 1<<bits); err != nil {
				t.Fatalf("bits %d: %v", bits, err)
			}
			if got := inflate(t, d, comp, 1000); !bytes.Equal(got, msg) {
				t.Fatalf("bits %d: round trip differs", bits)
			}
		}
	}
}

// The distance checker is a real oracle: a full-window compressor fails it
// on the same data.
func TestCheckerCatchesFarReferences(t *testing.T) {
	unit := make([]byte, 300)
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range unit {
		unit[i] = byte(rng.Uint32())
	}
	comp := NewCompressor(1, 15, false).Compress(nil, bytes.Repeat(unit, 4))
	if err := flatecheck.CheckDistances(comp, 256); err == nil {
		t.Fatal("a 300-byte back-reference passed a 256-byte window")
	}
	if err := flatecheck.CheckDistances(comp, 32768); err != nil {
		t.Fatalf("full window: %v", err)
	}
}

// Compressed output is standard DEFLATE: the standard library inflates a
// message without context takeover.
func TestStandardLibraryInflates(t *testing.T) {
	msg := jsonish(rand.New(rand.NewPCG(5, 6)), 10000)
	comp := NewCompressor(6, 15, false).Compress(nil, msg)
	got, err := io.ReadAll(stdflate.NewReader(io.MultiReader(bytes.NewReader(comp), bytes.NewReader(messageEnd))))
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("standard library: %v", err)
	}
}

// A message ending with a final block of its own is accepted; bytes after
// a final block are not.
func TestFinalBlockFromSender(t *testing.T) {
	var buf bytes.Buffer
	w, _ := stdflate.NewWriter(&buf, 5)
	w.Write([]byte("hello hello hello"))
	w.Close() // ends with a final block
	d := NewDecompressor(15, false)
	if got := inflate(t, d, buf.Bytes(), 3); string(got) != "hello hello hello" {
		t.Fatalf("got %q", got)
	}
	d.Begin(&parts{p: [][]byte{buf.Bytes(), []byte("junk")}})
	if _, err := io.ReadAll(readerFunc(d.Read)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("data after the final block: %v", err)
	}
}

func TestCorruptInput(t *testing.T) {
	d := NewDecompressor(15, true)
	d.Begin(&parts{p: [][]byte{{0xff, 0xff, 0xff, 0xff}}})
	if _, err := io.ReadAll(readerFunc(d.Read)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("garbage: %v", err)
	}
	// The source's own error wins over the inflater's.
	boom := errors.New("connection reset")
	d.Begin(&parts{p: [][]byte{{0x0a}}, err: boom})
	if _, err := io.ReadAll(readerFunc(d.Read)); !errors.Is(err, boom) {
		t.Fatalf("source error: %v", err)
	}
}

func TestWindow(t *testing.T) {
	w := window{limit: 5}
	w.write([]byte("ab"))
	w.write([]byte("cde"))
	w.write([]byte("fg"))
	if string(w.bytes()) != "cdefg" {
		t.Fatalf("%q", w.bytes())
	}
	w.write([]byte("0123456789"))
	if string(w.bytes()) != "56789" {
		t.Fatalf("%q", w.bytes())
	}
}

// A pooled writer carries nothing from one connection to the next: after a
// connection with context takeover gives its writer back, a connection
// without it compresses messages that inflate on their own.
func TestPooledWriterForgetsHistory(t *testing.T) {
	secret := bytes.Repeat([]byte("secret history of another connection "), 100)
	for range 20 { // pools drop items at random under -race; try often
		a := NewCompressor(1, 15, true)
		a.Compress(nil, secret)
		a.Release()
		a.Compress(nil, secret) // a writer primed with a's history
		a.Release()
		b := NewCompressor(1, 15, false)
		comp := b.Compress(nil, secret[:200])
		got, err := io.ReadAll(stdflate.NewReader(io.MultiReader(bytes.NewReader(comp), bytes.NewReader(messageEnd))))
		if err != nil || !bytes.Equal(got, secret[:200]) {
			t.Fatalf("a message compressed after another connection's does not inflate alone: %v", err)
		}
	}
}

// The writers a pool keeps survive garbage collections, which a burst of
// compressed messages runs many of: a sync.Pool alone dropped them, and
// every new level-1 writer is 488 KiB of garbage to be.
func TestWriterPoolKeepsWritersThroughGC(t *testing.T) {
	var ws []*flate.Writer
	for range keptWriters {
		ws = append(ws, getWriter(1, 15))
	}
	for _, w := range ws {
		putWriter(1, 15, w)
	}
	runtime.GC()
	runtime.GC()
	for range keptWriters {
		w := getWriter(1, 15)
		if !slices.Contains(ws, w) {
			t.Fatal("a kept writer was dropped by the garbage collector")
		}
		defer putWriter(1, 15, w)
	}
}
