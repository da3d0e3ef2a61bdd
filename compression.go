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

// compressorIdleRelease is how long a connection keeps its borrowed flate
// writer after its last compressed message. A busy connection keeps it
// (priming a fresh writer with the 32 KiB window costs about four times
// the compression of a 1 KiB message); an idle one gives it back, and
// keeps only its window.
// Tests shorten it.
var compressorIdleRelease = time.Second

// CompressionOptions configures permessage-deflate (RFC 7692). Set
// AcceptOptions.Compression or DialOptions.Compression to offer or accept
// it; nil leaves it off. The zero value is ready to use: level 1, context
// takeover in both directions, 15-bit windows, messages under 128 bytes
// uncompressed.
//
// What it costs per connection: with context takeover, each direction
// keeps the last 2^bits bytes it compressed or inflated (32 KiB each at
// the default 15 bits, less until that much has passed); the flate writer
// (about 480 KiB) and reader (about 35 KiB) come from shared pools and are
// held only while a message is compressed or inflated, the writer for at
// most a second after a connection's last compressed message. Without
// context takeover a connection keeps nothing between messages.
type CompressionOptions struct {
	// Level is the flate level, 1 (fastest, the default) to 9 (smallest).
	// Windows smaller than 15 bits use klauspost/compress's fixed
	// custom-window encoder whatever the level.
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

// deflateOffer is the client's offer.
func deflateOffer(opts *CompressionOptions) (Extension, deflate.Params) {
	p := deflate.Offer(opts.preferences())
	return Extension{Name: deflate.Name, Params: fromDeflateParams(p.Format())}, p
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
