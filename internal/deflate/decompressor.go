package deflate

import (
	"errors"
	"io"
	"sync"

	"github.com/fastws/fastws/internal/bufpool"
	"github.com/klauspost/compress/flate"
)

// Every message ends, for the decompressor, with the sync-flush tail the
// sender removed and then an empty final stored block, so that the
// reader reports io.EOF at the end of the message instead of waiting for
// more of an endless stream.
var messageEnd = []byte{0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff}

// ErrCorrupt is compressed data that does not inflate.
var ErrCorrupt = errors.New("permessage-deflate: compressed data is corrupt")

// Source supplies the compressed bytes of one message, part by part, as
// they arrive. Next returns the next part, and last true with the final
// one; it may block.
type Source interface {
	Next() (part []byte, last bool, err error)
}

// Decompressor inflates the messages one endpoint receives. With context
// takeover it keeps the last 2^bits bytes of output (at most 32 KiB), the
// history the next message may refer to; an inflater is held only while a
// message is being read.
type Decompressor struct {
	takeover bool
	hist     window
	src      sourceReader
	wholeBuf *[]byte   // a message that came in one part, with messageEnd, from bufpool
	inf      *inflater // inflates wholeBuf's bytes
	histLen  int       // the history's length when inf borrowed it
	r        io.ReadCloser
}

var inflaterPool = sync.Pool{New: func() any { return new(inflater) }}

// MaxWhole is the largest message inflated from a copy (with messageEnd
// appended) rather than part by part. Such a message is inflated by this
// package's own inflater, which needs the whole stream at hand; one that
// comes in parts, by klauspost/compress's streaming one. The copy stays a
// small constant beside the message (issue 13's bound).
const MaxWhole = 64 << 10

// NewDecompressor returns a decompressor for a peer whose window is 2^bits
// bytes, carrying context between messages when takeover is set.
func NewDecompressor(bits int, takeover bool) *Decompressor {
	if bits < 8 || bits > 15 {
		bits = 15
	}
	return &Decompressor{takeover: takeover, hist: window{limit: 1 << bits}}
}

// Begin starts inflating a message whose compressed bytes come from src.
// It asks src for the first part at once: a message that is all there
// (a whole frame in the read buffer, or the event loop's reassembled
// message) is inflated from a copy.
func (d *Decompressor) Begin(src Source) {
	part, last, err := src.Next()
	if err == nil && last && len(part) <= MaxWhole {
		d.wholeBuf = bufpool.Get(len(part) + len(messageEnd))
		b := append(append((*d.wholeBuf)[:0], part...), messageEnd...)
		d.inf = inflaterPool.Get().(*inflater)
		switch guess := 5*len(part) + 2*maxMatch; {
		case d.takeover && guess <= d.hist.slack():
			// Inflate in the history's buffer, with room for what the
			// message most likely inflates to.
			d.histLen = len(d.hist.bytes())
			d.inf.resetLent(b, d.hist.lend(guess))
		case d.takeover:
			// A message larger than the slack would outgrow the loan:
			// inflate it behind a copy of the history, which End
			// replaces.
			d.inf.reset(b, d.hist.bytes())
		default:
			d.inf.reset(b, nil)
		}
		return
	}
	var dict []byte
	if d.takeover {
		dict = d.hist.bytes()
	}
	d.src = sourceReader{src: src, part: part, last: last, err: err}
	d.beginStreaming(&d.src, dict)
}

// beginStreaming starts a new klauspost/compress inflater on in. A
// reader is never reused: klauspost's keeps its Huffman tables through
// Reset and rebuilds only the entries a new code uses, so a degenerate
// one-symbol code (which zlib allows) decoded the unused bit through
// whatever entry the reader's previous message, from any connection,
// had left there, and accepted a stream that a new reader refuses
// (TestStreamingIgnoresEarlierMessages). A new reader costs about 40 KiB
// of garbage per message inflated part by part: one larger than 64 KiB
// compressed, split into frames, or not whole in the read buffer when
// its first part is read.
func (d *Decompressor) beginStreaming(in flate.Reader, dict []byte) {
	d.r = flate.NewReaderDict(in, dict)
}

// Read reads inflated bytes of the message; io.EOF marks its end, after
// which the inflater is let go.
func (d *Decompressor) Read(p []byte) (int, error) {
	if d.inf != nil {
		n, err := d.inf.Read(p)
		if err != nil {
			d.End()
		}
		return n, err
	}
	if d.r == nil {
		return 0, io.EOF
	}
	n, err := d.r.Read(p)
	if d.takeover && n > 0 {
		d.hist.write(p[:n])
	}
	switch {
	case err == io.EOF:
		if d.src.err != nil {
			err = d.src.err
		} else if rerr := d.src.rest(); rerr != nil {
			err = rerr
		}
	case err != nil && d.src.err != nil:
		err = d.src.err // the connection's error, not the inflater's
	case err != nil:
		err = ErrCorrupt
	}
	if err != nil {
		d.End()
	}
	return n, err
}

// End gives the reader back, whether or not the message was read to its
// end (a failed connection abandons it).
func (d *Decompressor) End() {
	if d.inf != nil {
		if d.takeover {
			// The output is the history's next bytes: in place if it
			// stayed in the loan, else copied back.
			if d.inf.lent() {
				d.hist.giveBack(len(d.inf.win) - d.histLen)
			} else {
				d.hist.replace(d.inf.win)
			}
		}
		d.inf.release()
		inflaterPool.Put(d.inf)
		d.inf = nil
	}
	d.r = nil
	if d.wholeBuf != nil {
		bufpool.Put(d.wholeBuf)
		d.wholeBuf = nil
	}
	d.src = sourceReader{}
}

// sourceReader turns a Source into the io.ByteReader the inflater reads,
// adding messageEnd after the last part. Being a ByteReader keeps the
// inflater from reading ahead of what it needs.
type sourceReader struct {
	src   Source
	part  []byte
	last  bool
	inEnd bool   // part is messageEnd, not the peer's bytes
	end   []byte // what is left of messageEnd
	err   error
}

func (s *sourceReader) fill() error {
	for len(s.part) == 0 {
		if s.last {
			if s.end == nil {
				s.end = messageEnd
			}
			if len(s.end) == 0 {
				return io.EOF
			}
			s.part, s.end, s.inEnd = s.end, s.end[len(s.end):], true
			return nil
		}
		if s.err != nil {
			return s.err
		}
		part, last, err := s.src.Next()
		if err != nil {
			s.err = err
			return err
		}
		s.part, s.last = part, last
	}
	return nil
}

func (s *sourceReader) Read(p []byte) (int, error) {
	if err := s.fill(); err != nil {
		return 0, err
	}
	n := copy(p, s.part)
	s.part = s.part[n:]
	return n, nil
}

func (s *sourceReader) ReadByte() (byte, error) {
	if err := s.fill(); err != nil {
		return 0, err
	}
	c := s.part[0]
	s.part = s.part[1:]
	return c, nil
}

// rest checks what follows the point where the inflater stopped: a sender
// may end a message with a final block itself, after which only empty
// parts (and the messageEnd this reader adds) may remain. Peer bytes after
// a final block are corrupt data.
func (s *sourceReader) rest() error {
	if s.inEnd {
		return nil
	}
	if len(s.part) > 0 {
		return ErrCorrupt
	}
	for !s.last {
		part, last, err := s.src.Next()
		if err != nil {
			s.err = err
			return err
		}
		if len(part) > 0 {
			return ErrCorrupt
		}
		s.last = last
	}
	return nil
}
