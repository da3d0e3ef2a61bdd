package fastws

import (
	"strings"
	"time"

	"github.com/fastws/fastws/internal/deflate"
)

// DefaultCompressionThreshold is the size below which messages go
// uncompressed. Measured on JSON-like records (BenchmarkSmallMessages in
// internal/deflate): messages of 16–64 bytes come out 6 bytes larger
// compressed, at 0.2–4 µs each; at 128 bytes compression first saves
// bytes (a third of the size, for about 8 µs with context takeover).
const DefaultCompressionThreshold = 128

// compressorIdleRelease is how long a connection with context takeover
// keeps what its compressor borrowed after its last compressed message,
// and how close two compressed messages must be for the connection to
// count as busy and keep it at all (keepCompressor):
// at level 1 the encoder's 16 KiB hash table (rebuilding it from the
// history costs a few 1 KiB messages' compression), at levels 2-9 a
// flate writer of about 480 KiB (priming one from the 32 KiB window
// costs some twenty). An idle connection gives it back and keeps only
// its history. Tests shorten it.
var compressorIdleRelease = time.Second

// CompressionOptions configures permessage-deflate (RFC 7692). Set
// AcceptOptions.Compression or DialOptions.Compression to offer or accept
// it; nil leaves it off. The zero value is ready to use: level 1, context
// takeover in both directions, 15-bit windows, messages under 128 bytes
// uncompressed.
//
// The modes a server chooses, with what they cost, from the compressed
// echo in bench/ (100 connections echoing JSON; server CPU per message
// against gws, which compresses without context takeover, in the same
// run; memory per connection at 1,000 connections right after each
// echoed one 16 KiB message, and after a GC). The figures are from
// bench/results/deflate-2026-12-05-floor.md (AMD EPYC, nine rounds of
// 1 s, gws at 32.8 and 132.9 µs per 1 KiB and 16 KiB message; an echo
// that compresses nothing, the epoll-floor reference, at 6.7 and 7.1); the
// ratios move by about 5% between runs on one machine, and with the
// machine, as the share of the system calls in a message's cost does:
//
//   - Context takeover, 15-bit windows (the zero value): the best ratio,
//     0.269 of the JSON's size at 1 KiB (gws 0.535) and 0.217 at 16 KiB
//     (gws 0.267), for 0.63x gws's CPU per message at 1 KiB and 0.78x at
//     16 KiB on one event loop, 0.74x and 0.80x on the default count of
//     loops, 0.78x and 0.83x on the goroutine driver; 19.5 KiB per
//     connection right after the echo and 19.0 after a GC on the event
//     loops (gws 20.3 and 18.9), of which 16 KiB is the history; 29.9 and
//     29.2 on the goroutine driver read with HandleMessages, whose
//     goroutine and connection take 9 KiB before any message (46.8 and
//     45.1 read with an AppendMessage loop that keeps its own 16 KiB
//     buffer); 35.5 on the loops when the client's context is taken over
//     too, as browsers offer it (deflate-2026-12-03-client-context-ab.md),
//     32 of them the two histories.
//     Each direction keeps the last 2^bits bytes it compressed or
//     inflated (32 KiB each at most, less until that much has passed;
//     the inflating side in a buffer of at most 2^bits plus a quarter,
//     40 KiB, which a message that arrives whole and inflates to less
//     than a quarter is inflated into);
//     the compressor's 16 KiB table is kept while the connection is busy
//     (from its second compressed message within a second) and given
//     back a second after its last; a lone message gives it back at once.
//   - No context takeover (ServerNoContextTakeover): the least memory,
//     12.9 KiB right after the echo and 12.3 after a GC (gws 20.3 and
//     18.9; the few flate writers a burst makes beyond the pool's move
//     this by several KiB between runs), 0.75x gws's CPU at 1 KiB and
//     0.77x at 16 KiB, at gws's ratio (0.535 and 0.267); and a message
//     compressed once can go to every such connection (PreparedMessage),
//     which is what makes broadcast cheap: publishing 1 KiB JSON to 1,000
//     subscribers through the hub costs 12.1 µs of server CPU per
//     delivery against 41.4 µs with context takeover (0.29x; 16 KiB: 17.0
//     against 142.7 µs), level with gws's Broadcaster (1.01x), for 0.567
//     of the raw size on the wire against 0.294
//     (bench/results/fanout-deflate-2026-12-03-*.md).
//   - Smaller windows (ServerMaxWindowBits 12): 0.75x gws's CPU at 1 KiB
//     and 0.96x at 16 KiB (its history keeps fewer matches in reach, so
//     more of a message is coded byte by byte), ratio 0.311 and 0.262,
//     32.2 KiB right after the echo: it saves the peer's memory more
//     than the server's.
//   - Messages under the threshold (20 B) are not compressed; what
//     negotiating compression costs them is the uncompressed path's cost
//     (0.77x gws's CPU on one loop, 1.01x on the goroutine driver;
//     epoll-floor, which inflates nothing, 0.71x).
//
// klauspost/compress's flate writers (level 1 without context takeover,
// levels 2-9; 488 KiB, 808 KiB once used) come from a shared pool and are
// held only while a message is compressed, a writer with context
// takeover for at most a second after a connection's last compressed
// message. The pool keeps one writer per CPU (2 to 8) through garbage
// collections for each level and window a server has used, idle or not,
// and lets any more go: a pool that kept none had the collections of a
// burst drop them, and the writers made again were most of the server's
// memory right after it. A message that arrives whole (up to 64 KiB
// compressed) is inflated by fastws's own inflater, whose 12 KiB of
// tables and window of at most 64 KiB are pooled and held only while the
// message is read; one that arrives in parts, by a new klauspost/compress
// reader (about 40 KiB, garbage after the message: a reused one decoded
// some invalid streams through tables its previous message left).
type CompressionOptions struct {
	// Level is the flate level, 1 (fastest, the default) to 9 (smallest).
	// Level 1 with context takeover runs fastws's own encoder (see
	// above, at any window); level 1 without it runs klauspost/compress's
	// level 1, and levels 2-9 klauspost's levels, except that a window
	// smaller than 15 bits uses klauspost's custom-window encoder there.
	Level int

	// Threshold is the smallest message compressed; shorter ones go out
	// uncompressed. 0 means DefaultCompressionThreshold; negative
	// compresses every message.
	Threshold int

	// ServerNoContextTakeover and ClientNoContextTakeover make the
	// server's or the client's compressor start every message afresh:
	// less compression, no state kept between messages. Either side may
	// ask for either; the other side's wish is always honoured.
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool

	// ServerMaxWindowBits and ClientMaxWindowBits bound the LZ77 windows
	// of the server's and the client's compressors (8–15; 0 means 15).
	// Smaller windows keep less memory per connection and compress less.
	// A server that wants a smaller client window than the client can
	// promise declines the offer.
	ServerMaxWindowBits int
	ClientMaxWindowBits int
}

func (o *CompressionOptions) level() int {
	if o.Level >= 1 && o.Level <= 9 {
		return o.Level
	}
	return 1
}

func (o *CompressionOptions) threshold() int {
	switch {
	case o.Threshold < 0:
		return 0
	case o.Threshold == 0:
		return DefaultCompressionThreshold
	}
	return o.Threshold
}

func (o *CompressionOptions) preferences() deflate.Preferences {
	return deflate.Preferences{
		ServerNoContextTakeover: o.ServerNoContextTakeover,
		ClientNoContextTakeover: o.ClientNoContextTakeover,
		ServerMaxWindowBits:     o.ServerMaxWindowBits,
		ClientMaxWindowBits:     o.ClientMaxWindowBits,
	}
}

// compression is what a handshake settled about permessage-deflate.
type compression struct {
	agreement deflate.Agreement
	level     int
	threshold int
}

func toDeflateParams(ps []ExtensionParam) []deflate.Param {
	out := make([]deflate.Param, len(ps))
	for i, p := range ps {
		out[i] = deflate.Param{Name: p.Name, Value: p.Value, HasValue: p.HasValue}
	}
	return out
}

func fromDeflateParams(ps []deflate.Param) []ExtensionParam {
	out := make([]ExtensionParam, len(ps))
	for i, p := range ps {
		out[i] = ExtensionParam{Name: p.Name, Value: p.Value, HasValue: p.HasValue}
	}
	return out
}

// acceptDeflate picks the first permessage-deflate offer the server can
// honour. Offers with unknown, duplicate or invalid parameters are
// declined, as is one that cannot be honoured: the next offer, or no
// compression, follows; a bad offer never fails the handshake.
func acceptDeflate(offers []Extension, opts *CompressionOptions) (Extension, *compression, bool) {
	for _, o := range offers {
		if o.Name != deflate.Name {
			continue
		}
		params, err := deflate.ParseParams(toDeflateParams(o.Params))
		if err != nil {
			continue
		}
		resp, a, ok := deflate.Accept(params, opts.preferences())
		if !ok {
			continue
		}
		return Extension{Name: deflate.Name, Params: fromDeflateParams(resp.Format())},
			&compression{agreement: a, level: opts.level(), threshold: opts.threshold()}, true
	}
	return Extension{}, nil, false
}

// checkDeflate checks the server's permessage-deflate response against
// the client's offer.
func checkDeflate(resp Extension, offer deflate.Params, opts *CompressionOptions) (*compression, error) {
	params, err := deflate.ParseParams(toDeflateParams(resp.Params))
	if err != nil {
		return nil, err
	}
	a, err := deflate.Check(offer, params)
	if err != nil {
		return nil, err
	}
	return &compression{agreement: a, level: opts.level(), threshold: opts.threshold()}, nil
}

// withoutDeflate returns the offers other than permessage-deflate, for the
// user's extension hook.
func withoutDeflate(offers []Extension) []Extension {
	var out []Extension
	for _, o := range offers {
		if !strings.EqualFold(o.Name, deflate.Name) {
			out = append(out, o)
		}
	}
	return out
}
