package fastws

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/fastws/fastws/wsframe"
)

// FuzzDeflateNegotiation feeds arbitrary Sec-WebSocket-Extensions offers
// to the server's permessage-deflate negotiation, with arbitrary server
// preferences. It must never panic, and whatever it accepts must be an
// answer the client's own check accepts for that offer.
func FuzzDeflateNegotiation(f *testing.F) {
	f.Add("permessage-deflate; client_max_window_bits", uint8(0), uint8(0), uint8(0))
	f.Add("permessage-deflate; server_no_context_takeover; server_max_window_bits=10, permessage-deflate", uint8(1), uint8(9), uint8(0))
	f.Add("x-other, permessage-deflate; client_max_window_bits=8; client_no_context_takeover", uint8(2), uint8(0), uint8(12))
	f.Add("permessage-deflate; client_max_window_bits=015", uint8(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, header string, flags, serverBits, clientBits uint8) {
		offers, err := ParseExtensions(header)
		if err != nil {
			return
		}
		opts := &CompressionOptions{
			ServerNoContextTakeover: flags&1 != 0,
			ClientNoContextTakeover: flags&2 != 0,
			ServerMaxWindowBits:     int(serverBits % 16),
			ClientMaxWindowBits:     int(clientBits % 16),
		}
		if opts.ServerMaxWindowBits < 8 {
			opts.ServerMaxWindowBits = 0
		}
		if opts.ClientMaxWindowBits < 8 {
			opts.ClientMaxWindowBits = 0
		}
		resp, z, ok := acceptDeflate(offers, opts)
		if !ok {
			return
		}
		// Find the offer that was taken: the first that parses and fits.
		back, err := ParseExtensions(formatExtensions([]Extension{resp}))
		if err != nil || len(back) != 1 {
			t.Fatalf("answer %q does not parse: %v", resp, err)
		}
		taken := false
		for _, o := range offers {
			if o.Name != "permessage-deflate" {
				continue
			}
			_, offer := deflateOfferFrom(o)
			if c, err := checkDeflate(back[0], offer, opts); err == nil {
				taken = true
				if c.agreement.CompressWindowBits > z.agreement.DecompressWindowBits ||
					z.agreement.CompressWindowBits > c.agreement.DecompressWindowBits {
					t.Fatalf("window disagreement: server %+v client %+v", z.agreement, c.agreement)
				}
				break
			}
		}
		if !taken {
			t.Fatalf("answer %q fits none of the offers %q", resp, header)
		}
	})
}

// FuzzInflate feeds arbitrary frames from a server to a client that
// negotiated permessage-deflate with context takeover, and reads messages
// until the connection fails. It must never panic or hang, every error
// must be a protocol error, a close or the end of input, and no message
// may exceed the size limit.
func FuzzInflate(f *testing.F) {
	comp := NewCompressionForTest()
	frame := func(h wsframe.Header, p []byte) []byte {
		h.Length = int64(len(p))
		return append(wsframe.AppendHeader(nil, h), p...)
	}
	json := comp.Compress(nil, bytes.Repeat([]byte(`{"a":1,"b":"two"},`), 100))
	f.Add(frame(wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpText}, json))
	f.Add(cat(frame(wsframe.Header{Rsv: wsframe.Rsv1, Opcode: wsframe.OpBinary}, json[:10]),
		frame(wsframe.Header{Fin: true, Opcode: wsframe.OpPing}, []byte("p")),
		frame(wsframe.Header{Fin: true, Opcode: wsframe.OpContinuation}, json[10:])))
	f.Add(frame(wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpBinary}, comp.Compress(nil, make([]byte, 1<<20))))
	f.Add(frame(wsframe.Header{Fin: true, Rsv: wsframe.Rsv1, Opcode: wsframe.OpText}, []byte{0xff, 0x00, 0x12}))
	const limit = 64 << 10
	f.Fuzz(func(t *testing.T, input []byte) {
		hs := handshakeResult{negotiated: negotiated{deflate: &compression{
			agreement: deflateAgreementForTest(), level: 1, threshold: 128,
		}}}
		conn := &fakeConn{in: bytes.NewReader(input)}
		c := newConn(conn, ClientSide, &ConnOptions{MaxMessageSize: limit}, &hs)
		for range 1000 {
			_, msg, err := c.ReadMessage(testCtx(t))
			if len(msg) > limit {
				t.Fatalf("message of %d bytes passed a %d-byte limit", len(msg), limit)
			}
			if err != nil {
				var pe *wsframe.ProtocolError
				var ce *CloseError
				if !errors.As(err, &pe) && !errors.As(err, &ce) && !errors.Is(err, ErrClosed) && !errors.Is(err, io.EOF) {
					t.Fatalf("unexpected error %T: %v", err, err)
				}
				return
			}
		}
	})
}
