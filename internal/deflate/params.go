// Package deflate implements the permessage-deflate extension (RFC 7692):
// negotiation of its parameters, and per-connection compressors and
// decompressors whose idle state is small.
package deflate

import (
	"errors"
	"strconv"
)

// Name is the extension token.
const Name = "permessage-deflate"

// Param is one extension parameter as it appears in a header.
type Param struct {
	Name     string
	Value    string
	HasValue bool
}

// Params are the parameters of a permessage-deflate offer or response.
// A window of 0 means the parameter is absent.
type Params struct {
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool
	ServerMaxWindowBits     int // 8–15, or 0
	ClientMaxWindowBits     int // 8–15, or 0
	// ClientMaxWindowBitsOffered is client_max_window_bits given without a
	// value, which only an offer may do: the client can use a smaller
	// window if the server asks.
	ClientMaxWindowBitsOffered bool
}

// The negotiation errors. An offer with one of them is declined; a
// response with one of them fails the handshake.
var (
	ErrUnknownParam   = errors.New("permessage-deflate: unknown parameter")
	ErrDuplicateParam = errors.New("permessage-deflate: parameter given twice")
	ErrBadValue       = errors.New("permessage-deflate: invalid parameter value")
)

// ParseParams reads the parameters of one offer or response. Names are
// case-sensitive, as RFC 7692 spells them. Each may appear once;
// *_no_context_takeover take no value; *_max_window_bits take a decimal
// 8–15 without leading zeros, except that client_max_window_bits may come
// without a value (meaningful in offers only; a response checker rejects
// it).
func ParseParams(params []Param) (Params, error) {
	var p Params
	seen := map[string]bool{}
	for _, q := range params {
		if seen[q.Name] {
			return p, ErrDuplicateParam
		}
		seen[q.Name] = true
		switch q.Name {
		case "server_no_context_takeover":
			if q.HasValue {
				return p, ErrBadValue
			}
			p.ServerNoContextTakeover = true
		case "client_no_context_takeover":
			if q.HasValue {
				return p, ErrBadValue
			}
			p.ClientNoContextTakeover = true
		case "server_max_window_bits":
			bits, ok := windowBits(q)
			if !ok {
				return p, ErrBadValue
			}
			p.ServerMaxWindowBits = bits
		case "client_max_window_bits":
			if !q.HasValue {
				p.ClientMaxWindowBitsOffered = true
				continue
			}
			bits, ok := windowBits(q)
			if !ok {
				return p, ErrBadValue
			}
			p.ClientMaxWindowBits = bits
			p.ClientMaxWindowBitsOffered = true
		default:
			return p, ErrUnknownParam
		}
	}
	return p, nil
}

func windowBits(q Param) (int, bool) {
	v := q.Value
	if !q.HasValue || len(v) == 0 || len(v) > 2 || v[0] == '0' {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 8 || n > 15 {
		return 0, false
	}
	return n, true
}

// Format returns the parameters as they go in a header.
func (p Params) Format() []Param {
	var out []Param
	if p.ServerNoContextTakeover {
		out = append(out, Param{Name: "server_no_context_takeover"})
	}
	if p.ClientNoContextTakeover {
		out = append(out, Param{Name: "client_no_context_takeover"})
	}
	if p.ServerMaxWindowBits != 0 {
		out = append(out, Param{Name: "server_max_window_bits", Value: strconv.Itoa(p.ServerMaxWindowBits), HasValue: true})
	}
	switch {
	case p.ClientMaxWindowBits != 0:
		out = append(out, Param{Name: "client_max_window_bits", Value: strconv.Itoa(p.ClientMaxWindowBits), HasValue: true})
	case p.ClientMaxWindowBitsOffered:
		out = append(out, Param{Name: "client_max_window_bits"})
	}
	return out
}

// Preferences are what one endpoint wants of the extension.
type Preferences struct {
	// ServerNoContextTakeover and ClientNoContextTakeover ask that the
	// server's or the client's compressor start every message afresh.
	ServerNoContextTakeover bool
	ClientNoContextTakeover bool
	// ServerMaxWindowBits and ClientMaxWindowBits bound the windows the
	// server's and the client's compressors use (8–15; 0 means 15).
	ServerMaxWindowBits int
	ClientMaxWindowBits int
}

// Agreement is what an accepted negotiation settles, from the point of
// view of one endpoint.
type Agreement struct {
	// Compress: this endpoint's compressor.
	CompressNoContextTakeover bool
	CompressWindowBits        int
	// Decompress: the peer's compressor, which this endpoint's
	// decompressor follows.
	DecompressNoContextTakeover bool
	DecompressWindowBits        int
}

func orMax(bits int) int {
	if bits == 0 {
		return 15
	}
	return bits
}

// Accept is the server's decision on one offer: the response to send and
// what the server's side of the connection must do, or ok false to
// decline the offer (and try the next one). pref is the server's own
// wishes.
func Accept(offer Params, pref Preferences) (resp Params, a Agreement, ok bool) {
	// The server's compressor: the client may ask for no context
	// takeover and a smaller window; the server may impose both itself.
	resp.ServerNoContextTakeover = offer.ServerNoContextTakeover || pref.ServerNoContextTakeover
	serverBits := orMax(pref.ServerMaxWindowBits)
	if offer.ServerMaxWindowBits != 0 {
		serverBits = min(serverBits, offer.ServerMaxWindowBits)
	}
	if offer.ServerMaxWindowBits != 0 || serverBits < 15 {
		resp.ServerMaxWindowBits = serverBits
	}
	// The client's compressor: the server may ask it for no context
	// takeover, and for a smaller window only if the client said it can.
	resp.ClientNoContextTakeover = offer.ClientNoContextTakeover || pref.ClientNoContextTakeover
	clientBits := 15
	if offer.ClientMaxWindowBits != 0 {
		clientBits = offer.ClientMaxWindowBits
	}
	if want := orMax(pref.ClientMaxWindowBits); want < clientBits {
		if !offer.ClientMaxWindowBitsOffered {
			// The server needs a smaller window than the client can
			// promise: decline rather than accept and then break.
			return Params{}, Agreement{}, false
		}
		clientBits = want
	}
	if offer.ClientMaxWindowBits != 0 || clientBits < 15 {
		resp.ClientMaxWindowBits = clientBits
	}
	a = Agreement{
		CompressNoContextTakeover:   resp.ServerNoContextTakeover,
		CompressWindowBits:          serverBits,
		DecompressNoContextTakeover: resp.ClientNoContextTakeover,
		DecompressWindowBits:        clientBits,
	}
	return resp, a, true
}

// Offer is the client's offer for its preferences.
func Offer(pref Preferences) Params {
	return Params{
		ServerNoContextTakeover:    pref.ServerNoContextTakeover,
		ClientNoContextTakeover:    pref.ClientNoContextTakeover,
		ServerMaxWindowBits:        pref.ServerMaxWindowBits,
		ClientMaxWindowBits:        pref.ClientMaxWindowBits,
		ClientMaxWindowBitsOffered: true, // the client can always use a smaller window
	}
}

// ErrResponse is a server response the client's offer does not allow.
var ErrResponse = errors.New("permessage-deflate: response does not match the offer")

// Check is the client's check of the server's response to its offer, and
// what the client's side of the connection must do.
func Check(offer, resp Params) (Agreement, error) {
	switch {
	case resp.ClientMaxWindowBitsOffered && resp.ClientMaxWindowBits == 0:
		return Agreement{}, ErrResponse // a response must give the value
	case resp.ClientMaxWindowBits != 0 && !offer.ClientMaxWindowBitsOffered:
		return Agreement{}, ErrResponse
	case offer.ClientMaxWindowBits != 0 && resp.ClientMaxWindowBits > offer.ClientMaxWindowBits:
		return Agreement{}, ErrResponse
	case offer.ServerMaxWindowBits != 0 && (resp.ServerMaxWindowBits == 0 || resp.ServerMaxWindowBits > offer.ServerMaxWindowBits):
		return Agreement{}, ErrResponse
	case offer.ServerNoContextTakeover && !resp.ServerNoContextTakeover:
		return Agreement{}, ErrResponse
	}
	clientBits := orMax(resp.ClientMaxWindowBits)
	if offer.ClientMaxWindowBits != 0 {
		clientBits = min(clientBits, offer.ClientMaxWindowBits)
	}
	return Agreement{
		CompressNoContextTakeover:   resp.ClientNoContextTakeover || offer.ClientNoContextTakeover,
		CompressWindowBits:          clientBits,
		DecompressNoContextTakeover: resp.ServerNoContextTakeover,
		DecompressWindowBits:        orMax(resp.ServerMaxWindowBits),
	}, nil
}
