package loadgen

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// DeflateOffer is the permessage-deflate offer (RFC 7692) of a compressed
// load. The client promises no context takeover, so each message is
// compressed once, in advance, and the same frame is sent every time; it
// accepts any server window and any server context takeover.
const DeflateOffer = "permessage-deflate; client_no_context_takeover; client_max_window_bits"

// ClientContextOffer offers permessage-deflate with the client's context
// taken over, as browsers do, so that the server keeps and primes each
// connection's history of the client's messages. The messages compressed
// in advance without context are valid on such a stream (a message need
// not refer back); the offer leaves out client_max_window_bits, so that no
// server can ask for a window smaller than they were compressed with.
const ClientContextOffer = "permessage-deflate"

// ClientLevel is the flate level the client compresses its messages at,
// once each: 6, zlib's default (Z_DEFAULT_COMPRESSION), which browsers use.
const ClientLevel = 6

// deflateWindow is the LZ77 window of a 15-bit compressor, the most a
// server's context can span.
const deflateWindow = 1 << 15

// deflateTail is the end of a sync flush, which RFC 7692 has the sender
// strip from every compressed message.
const deflateTail = "\x00\x00\xff\xff"

// InflateEnd is what a receiver puts after a compressed message before
// inflating it: the stripped sync-flush tail and then an empty final
// stored block, so that the reader sees a clean end whether or not the
// sender ended with a final block of its own.
const InflateEnd = deflateTail + "\x01\x00\x00\xff\xff"

// compressMessage compresses payload as one permessage-deflate message
// without context.
func compressMessage(payload []byte) ([]byte, error) {
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, ClientLevel)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(payload); err != nil {
		return nil, err
	}
	if err := w.Flush(); err != nil {
		return nil, err
	}
	out, ok := bytes.CutSuffix(b.Bytes(), []byte(deflateTail))
	if !ok {
		return nil, errors.New("loadgen: flate sync flush without its tail")
	}
	return out, nil
}

// inflateMessage decompresses one permessage-deflate message whose
// sender's context holds dict (the plaintext of its earlier compressed
// messages; nil for none), reading at most limit bytes of output.
func inflateMessage(z, dict []byte, limit int) ([]byte, error) {
	src := io.MultiReader(bytes.NewReader(z), strings.NewReader(InflateEnd))
	r := flate.NewReaderDict(src, dict)
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(out) > limit {
		return nil, fmt.Errorf("inflates to more than %d bytes", limit)
	}
	return out, nil
}

// AppendHistory adds a message's plaintext to a compression context,
// keeping the last window of it (32 KiB, the most a 15-bit compressor
// refers back).
func AppendHistory(hist, msg []byte) []byte {
	hist = append(hist, msg...)
	if n := len(hist) - deflateWindow; n > 0 {
		hist = append(hist[:0], hist[n:]...)
	}
	return hist
}

// maxCompressedSize bounds a compressed echo of size bytes: stored blocks
// cost 5 bytes per 64 KiB, and a compressor may add a few bytes more.
func maxCompressedSize(size int) int64 { return int64(size) + int64(size)/8 + 64 }

// checkDeflateResponse checks a server's permessage-deflate response to
// DeflateOffer: known parameters, each at most once, and a client window
// the pre-compressed messages (compressed with a 15-bit window, and
// referring back at most to their own start) fit in.
func checkDeflateResponse(value string, size int) error {
	params := strings.Split(value, ";")
	if strings.TrimSpace(params[0]) != "permessage-deflate" {
		return fmt.Errorf("loadgen: server negotiated extensions %q, not permessage-deflate alone", value)
	}
	seen := map[string]bool{}
	for _, p := range params[1:] {
		name, arg, hasArg := strings.Cut(strings.TrimSpace(p), "=")
		name = strings.TrimSpace(name)
		arg = strings.Trim(strings.TrimSpace(arg), `"`)
		if seen[name] {
			return fmt.Errorf("loadgen: duplicate %s in %q", name, value)
		}
		seen[name] = true
		switch name {
		case "server_no_context_takeover", "client_no_context_takeover":
			if hasArg {
				return fmt.Errorf("loadgen: %s with a value in %q", name, value)
			}
		case "server_max_window_bits", "client_max_window_bits":
			bits, err := strconv.Atoi(arg)
			if !hasArg || err != nil || bits < 8 || bits > 15 {
				return fmt.Errorf("loadgen: bad %s in %q", name, value)
			}
			if name == "client_max_window_bits" && bits < 15 && 1<<bits < size {
				return fmt.Errorf("loadgen: server wants a %d-bit client window, too small for the %d-byte messages compressed in advance", bits, size)
			}
		default:
			return fmt.Errorf("loadgen: unknown parameter %q in %q", name, value)
		}
	}
	return nil
}
