package fanout

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/fastws/fastws/internal/loadgen"
	"github.com/klauspost/compress/flate"
)

// The compressed fan-out servers: the same servers with permessage-deflate
// on, for the cost of compressed broadcast (issue 16's "compress once for
// many"). Their subscribers offer permessage-deflate as a browser does
// (context takeover allowed both ways, client_no_context_takeover
// promised since they send nothing), inflate every message and check it
// whole; the publisher sends JSON documents (loadgen.JSONMessage) instead
// of the filler, so that the ratio and the compressor's work are those of
// real traffic.
const (
	// FastwsLoopDeflate is FastwsLoop with fastws's default compression:
	// context takeover, so the hub's PreparedMessage is compressed again
	// by every subscriber's own compressor.
	FastwsLoopDeflate = "fastws-loop-deflate"
	// FastwsLoopDeflateShared is FastwsLoop with
	// CompressionOptions.ServerNoContextTakeover: the PreparedMessage is
	// compressed once, and every subscriber sends that frame.
	FastwsLoopDeflateShared = "fastws-loop-deflate-shared"
	// GwsDeflate is Gws with its PermessageDeflate on (its defaults: no
	// server context takeover); its Broadcaster compresses once.
	GwsDeflate = "gws-deflate"
	// GorillaDeflate is Gorilla with EnableCompression: its
	// PreparedMessage compresses once per compression level (gorilla has
	// no context takeover).
	GorillaDeflate = "gorilla-deflate"
)

// CompressedNames lists the compressed servers in the order they run and
// are reported.
var CompressedNames = []string{FastwsLoopDeflate, FastwsLoopDeflateShared, GwsDeflate, GorillaDeflate}

// IsCompressed reports whether name is a compressed server: its
// subscribers offer permessage-deflate and its messages are JSON.
func IsCompressed(name string) bool { return slices.Contains(CompressedNames, name) }

// jsonVariants is how many different JSON documents of each size the
// publisher cycles through, by sequence number: more than fit a 32 KiB
// window at 1 KiB, so that context takeover finds similar documents in
// its history, never the same one.
const jsonVariants = 64

// jsonCache holds, per size, the JSON documents a compressed run
// publishes.
var jsonCache sync.Map // int -> [][]byte

// jsonBodies returns the documents of size bytes, message seq being
// jsonBodies(size)[seq % jsonVariants] with its first StampSize bytes
// replaced by the stamp.
func jsonBodies(size int) [][]byte {
	if v, ok := jsonCache.Load(size); ok {
		return v.([][]byte)
	}
	bodies := make([][]byte, jsonVariants)
	for i := range bodies {
		bodies[i] = loadgen.JSONMessage(size, i)
	}
	v, _ := jsonCache.LoadOrStore(size, bodies)
	return v.([][]byte)
}

// jsonBody returns the document message seq of size bytes carries after
// its stamp.
func jsonBody(size int, seq int64) []byte {
	return jsonBodies(size)[uint64(seq)%jsonVariants]
}

// deflateState is a subscriber's side of permessage-deflate: the
// payload being gathered (across a message's fragments) and, with context takeover, the
// server's history.
type deflateState struct {
	takeover bool
	open     bool   // a fragmented message's last frame is still to come
	z        []byte // the current frame's payload, as it came
	hist     []byte // the last window of what was inflated, with takeover
}

// remember adds an inflated message to the history, with takeover.
func (d *deflateState) remember(msg []byte) {
	if d.takeover {
		d.hist = loadgen.AppendHistory(d.hist, msg)
	}
}

// inflater is a subscriber loop's decompressor, shared by its
// connections: each message is inflated whole once its frame is in.
type inflater struct {
	src bytes.Reader
	fr  io.ReadCloser
	out []byte
}

// inflate returns the message whose compressed payload is z (with
// loadgen.InflateEnd appended) and whose sender's history is dict, failing past
// limit bytes. The result is valid until the next call.
func (f *inflater) inflate(z, dict []byte, limit int) ([]byte, error) {
	f.src.Reset(z)
	if f.fr == nil {
		f.fr = flate.NewReaderDict(&f.src, dict)
	} else if err := f.fr.(flate.Resetter).Reset(&f.src, dict); err != nil {
		return nil, err
	}
	if len(f.out) < limit+1 {
		f.out = make([]byte, limit+1)
	}
	n := 0
	for n <= limit {
		k, err := f.fr.Read(f.out[n : limit+1])
		n += k
		if errors.Is(err, io.EOF) {
			return f.out[:n], nil
		}
		if err != nil {
			return nil, fmt.Errorf("inflating a message: %w", err)
		}
	}
	return nil, fmt.Errorf("a compressed message inflates past %d bytes", limit)
}

// parseDeflateResponse reads the server's Sec-WebSocket-Extensions answer
// to the subscribers' offer: it must be permessage-deflate, and says
// whether the server keeps its context.
func parseDeflateResponse(ext string) (takeover bool, err error) {
	params := strings.Split(ext, ";")
	if strings.TrimSpace(params[0]) != "permessage-deflate" {
		return false, fmt.Errorf("server negotiated %q; permessage-deflate was offered", ext)
	}
	takeover = true
	for _, p := range params[1:] {
		if name, _, _ := strings.Cut(strings.TrimSpace(p), "="); name == "server_no_context_takeover" {
			takeover = false
		}
	}
	return takeover, nil
}
