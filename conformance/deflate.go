package conformance

import (
	"bytes"
	stdflate "compress/flate"
	"fmt"
	"io"
	"strconv"
	"strings"

	kflate "github.com/klauspost/compress/flate"

	"github.com/fastws/fastws/internal/flatecheck"
)

// DeflateRequest is what one side asks of the other's compressor in a
// permessage-deflate negotiation: no context takeover, and a window of at
// most 2^MaxWindowBits bytes (0: no request).
type DeflateRequest struct {
	NoContextTakeover bool
	MaxWindowBits     int
}

// DeflateTerms are a permessage-deflate case's negotiation: the offers the
// suite makes to a testee server (asking things of the server's
// compressor), and the answers it tries in turn on a testee client's offer
// (asking things of the client's compressor).
type DeflateTerms struct {
	Offers  []DeflateRequest
	Answers []DeflateRequest
}

// sessionDeflate is a negotiated permessage-deflate on a session. The
// suite compresses with its own writer and inflates with the standard
// library's reader, an implementation independent of the testee's, and
// checks what the testee compressed against what it agreed to.
type sessionDeflate struct {
	agreed string // the negotiated extension, for the report

	ownTakeover bool // the suite's compressor carries context
	ownBits     int
	w           *kflate.Writer
	wbuf        bytes.Buffer

	peerTakeover bool // the testee's compressor may carry context
	peerBits     int
	history      []byte // inflated output the testee may refer to
}

// deflateParams is a parsed permessage-deflate offer or response.
type deflateParams struct {
	serverNoContext, clientNoContext bool
	serverBits, clientBits           int // 0: absent
	clientBitsOffered                bool
}

// parseDeflate parses the permessage-deflate entries of a
// Sec-WebSocket-Extensions value, strictly: unknown or repeated
// parameters and bad values are errors. Other extensions are skipped.
func parseDeflate(header string) ([]deflateParams, error) {
	var out []deflateParams
	for _, ext := range splitOutsideQuotes(header, ',') {
		parts := splitOutsideQuotes(ext, ';')
		if strings.TrimSpace(parts[0]) != "permessage-deflate" {
			continue
		}
		var p deflateParams
		seen := map[string]bool{}
		for _, raw := range parts[1:] {
			name, value, hasValue := strings.Cut(strings.TrimSpace(raw), "=")
			name = strings.TrimSpace(name)
			value = strings.Trim(strings.TrimSpace(value), `"`)
			if seen[name] {
				return nil, fmt.Errorf("parameter %s given twice", name)
			}
			seen[name] = true
			bits := func() (int, error) {
				n, err := strconv.Atoi(value)
				if err != nil || n < 8 || n > 15 || !hasValue || value[0] == '0' {
					return 0, fmt.Errorf("bad value %q for %s", value, name)
				}
				return n, nil
			}
			var err error
			switch name {
			case "server_no_context_takeover", "client_no_context_takeover":
				if hasValue {
					err = fmt.Errorf("parameter %s takes no value", name)
				}
				p.serverNoContext = p.serverNoContext || name == "server_no_context_takeover"
				p.clientNoContext = p.clientNoContext || name == "client_no_context_takeover"
			case "server_max_window_bits":
				p.serverBits, err = bits()
			case "client_max_window_bits":
				p.clientBitsOffered = true
				if hasValue {
					p.clientBits, err = bits()
				}
			default:
				err = fmt.Errorf("unknown parameter %q", name)
			}
			if err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	return out, nil
}

func splitOutsideQuotes(s string, sep byte) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// offerHeader is the suite's offer for req: it can always use a smaller
// window itself (client_max_window_bits) and asks what req asks of the
// server.
func offerHeader(req DeflateRequest) string {
	s := "permessage-deflate; client_max_window_bits"
	if req.NoContextTakeover {
		s += "; server_no_context_takeover"
	}
	if req.MaxWindowBits > 0 {
		s += "; server_max_window_bits=" + strconv.Itoa(req.MaxWindowBits)
	}
	return s
}

// checkServerAnswer checks a testee server's answer against the suite's
// offers and returns the session's terms.
func checkServerAnswer(header string, offers []DeflateRequest) (*sessionDeflate, error) {
	answers, err := parseDeflate(header)
	if err != nil {
		return nil, err
	}
	if len(answers) != 1 {
		return nil, fmt.Errorf("%d permessage-deflate answers", len(answers))
	}
	a := answers[0]
	if a.clientBitsOffered && a.clientBits == 0 {
		return nil, fmt.Errorf("client_max_window_bits without a value in an answer")
	}
	for _, o := range offers {
		if o.NoContextTakeover && !a.serverNoContext || o.MaxWindowBits > 0 && (a.serverBits == 0 || a.serverBits > o.MaxWindowBits) {
			continue // not an answer to this offer
		}
		return &sessionDeflate{
			agreed:       strings.TrimSpace(header),
			ownTakeover:  !a.clientNoContext,
			ownBits:      orFifteen(a.clientBits),
			peerTakeover: !a.serverNoContext,
			peerBits:     orFifteen(a.serverBits),
		}, nil
	}
	return nil, fmt.Errorf("the answer %q does not fit any offer", header)
}

// answerClient picks, for a testee client's offer header, the first of
// the case's answers the client's offers allow, and returns the response
// value and the session's terms; ok false means the client cannot be
// tested on these terms.
func answerClient(header string, answers []DeflateRequest) (string, *sessionDeflate, bool) {
	offers, err := parseDeflate(header)
	if err != nil {
		return "", nil, false
	}
	for _, ans := range answers {
		for _, o := range offers {
			if ans.MaxWindowBits > 0 && !o.clientBitsOffered {
				continue // the client cannot use a smaller window
			}
			resp := "permessage-deflate"
			peerBits := orFifteen(o.clientBits)
			if ans.NoContextTakeover {
				resp += "; client_no_context_takeover"
			}
			if ans.MaxWindowBits > 0 {
				peerBits = min(peerBits, ans.MaxWindowBits)
				resp += "; client_max_window_bits=" + strconv.Itoa(peerBits)
			}
			if o.serverNoContext {
				resp += "; server_no_context_takeover"
			}
			if o.serverBits > 0 {
				resp += "; server_max_window_bits=" + strconv.Itoa(o.serverBits)
			}
			return resp, &sessionDeflate{
				agreed:       resp,
				ownTakeover:  !o.serverNoContext,
				ownBits:      orFifteen(o.serverBits),
				peerTakeover: !(ans.NoContextTakeover || o.clientNoContext),
				peerBits:     peerBits,
			}, true
		}
	}
	return "", nil, false
}

func orFifteen(bits int) int {
	if bits == 0 {
		return 15
	}
	return bits
}

// compress returns a message compressed by the suite, without the tail.
func (d *sessionDeflate) compress(p []byte) []byte {
	if d.w == nil || !d.ownTakeover {
		if d.ownBits < 15 {
			d.w, _ = kflate.NewWriterWindow(&d.wbuf, 1<<d.ownBits)
		} else {
			d.w, _ = kflate.NewWriter(&d.wbuf, 6)
		}
	}
	d.wbuf.Reset()
	d.w.Write(p)
	d.w.Flush()
	return bytes.TrimSuffix(append([]byte(nil), d.wbuf.Bytes()...), []byte{0, 0, 0xff, 0xff})
}

// inflate inflates a message the testee compressed, and checks that it
// kept to the agreed window and, without context takeover, to the
// message itself.
func (d *sessionDeflate) inflate(compressed []byte) ([]byte, error) {
	if err := flatecheck.CheckDistances(compressed, 1<<d.peerBits); err != nil {
		return nil, fmt.Errorf("the compressed message breaks the agreed %d-bit window: %v", d.peerBits, err)
	}
	var dict []byte
	if d.peerTakeover {
		dict = d.history
	}
	end := []byte{0, 0, 0xff, 0xff, 1, 0, 0, 0xff, 0xff}
	r := stdflate.NewReaderDict(io.MultiReader(bytes.NewReader(compressed), bytes.NewReader(end)), dict)
	out, err := io.ReadAll(io.LimitReader(r, maxIncoming+1))
	if err != nil {
		if !d.peerTakeover {
			return nil, fmt.Errorf("the message does not inflate on its own, though the testee agreed to no context takeover: %v", err)
		}
		return nil, fmt.Errorf("the message does not inflate: %v", err)
	}
	if len(out) > maxIncoming {
		return nil, fmt.Errorf("the message inflates beyond %d bytes", maxIncoming)
	}
	if d.peerTakeover {
		d.history = append(d.history, out...)
		if over := len(d.history) - 32768; over > 0 {
			d.history = append(d.history[:0], d.history[over:]...)
		}
	}
	return out, nil
}
