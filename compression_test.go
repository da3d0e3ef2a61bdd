package fastws

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fastws/fastws/internal/flatecheck"
	"github.com/fastws/fastws/wsframe"
)

func jsonText(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	for b.Len() < n {
		fmt.Fprintf(&b, `{"id":%d,"user":"%s","score":%d,"tags":["a","b"]},`, r.IntN(100000), []string{"ann", "bob", "cy"}[r.IntN(3)], r.IntN(100))
	}
	return []byte(b.String()[:n])
}

// compressedPair connects a server and client that both want compression
// on the given terms.
func compressedPair(t *testing.T, server, client *CompressionOptions) (*Conn, *Conn) {
	t.Helper()
	return pair(t, false, &AcceptOptions{Compression: server}, &DialOptions{Compression: client})
}

func TestCompressionEcho(t *testing.T) {
	terms := []struct {
		name           string
		server, client CompressionOptions
		ext            string
	}{
		{"defaults", CompressionOptions{}, CompressionOptions{}, "permessage-deflate"},
		{"no context takeover", CompressionOptions{ServerNoContextTakeover: true}, CompressionOptions{ClientNoContextTakeover: true},
			"permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
		{"small windows", CompressionOptions{ClientMaxWindowBits: 9}, CompressionOptions{ServerMaxWindowBits: 10},
			"permessage-deflate; server_max_window_bits=10; client_max_window_bits=9"},
		{"8-bit windows, level 9", CompressionOptions{Level: 9, ServerMaxWindowBits: 8, ClientMaxWindowBits: 8}, CompressionOptions{Level: 9},
			"permessage-deflate; server_max_window_bits=8; client_max_window_bits=8"},
	}
	for _, tc := range terms {
		t.Run(tc.name, func(t *testing.T) {
			server, client := compressedPair(t, &tc.server, &tc.client)
			if client.Extensions() != tc.ext || server.Extensions() != tc.ext {
				t.Fatalf("negotiated %q / %q, want %q", client.Extensions(), server.Extensions(), tc.ext)
			}
			done := echo(server)
			ctx := testCtx(t)
			for i, n := range []int{0, 10, 127, 128, 1000, 70000, 1 << 20} {
				for _, typ := range []MessageType{Text, Binary} {
					msg := jsonText(uint64(i), n)
					if err := client.WriteMessage(ctx, typ, msg); err != nil {
						t.Fatal(err)
					}
					gotTyp, got, err := client.ReadMessage(ctx)
					if err != nil || gotTyp != typ || !bytes.Equal(got, msg) {
						t.Fatalf("%d bytes: got %v %d bytes, %v", n, gotTyp, len(got), err)
					}
				}
			}
			// Streamed, in odd-sized writes.
			msg := jsonText(99, 3<<20)
			w, _ := client.NextWriter(ctx, Text)
			for rest := msg; len(rest) > 0; {
				k := min(len(rest), 77777)
				w.Write(rest[:k])
				rest = rest[k:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if _, got, err := client.ReadMessage(ctx); err != nil || !bytes.Equal(got, msg) {
				t.Fatalf("streamed: %d bytes, %v", len(got), err)
			}
			client.Close(CloseNormal, "")
			<-done
		})
	}
}

// What goes on the wire: RSV1 on the first frame of compressed messages
// only, small messages and Uncompressed ones plain, every back-reference
// within the agreed window.
func TestCompressionOnTheWire(t *testing.T) {
	server, client := compressedPair(t, &CompressionOptions{ServerMaxWindowBits: 9}, &CompressionOptions{})
	ctx := testCtx(t)
	big := jsonText(1, 50000)
	go func() {
		server.WriteMessage(ctx, Text, []byte("tiny"))
		server.WriteMessage(ctx, Text, big)
		server.WriteMessage(ctx, Binary|Uncompressed, big)
		server.WriteMessage(ctx, Text, big) // context taken over
	}()
	want := []struct {
		rsv1 bool
		n    int
	}{{false, 4}, {true, -1}, {false, len(big)}, {true, -1}}
	var sizes []int
	for i, w := range want {
		f, err := client.ReadFrame(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Rsv&wsframe.Rsv1 != 0; got != w.rsv1 || !f.Fin {
			t.Fatalf("frame %d: RSV1 %v FIN %v, want RSV1 %v", i, got, f.Fin, w.rsv1)
		}
		if w.n >= 0 && len(f.Payload) != w.n {
			t.Fatalf("frame %d: %d bytes, want %d", i, len(f.Payload), w.n)
		}
		if w.rsv1 {
			if err := flatecheck.CheckDistances(f.Payload, 1<<9); err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
			sizes = append(sizes, len(f.Payload))
		}
	}
	if sizes[0] >= len(big)/2 {
		t.Fatalf("50000 bytes of JSON compressed to %d", sizes[0])
	}
}

// Offers the server cannot take are declined, and the next one is taken.
func TestCompressionOffers(t *testing.T) {
	leakcheckedServer := func(t *testing.T, opts *AcceptOptions) string { return echoListener(t, opts) }
	cases := []struct {
		name   string
		offer  string
		server CompressionOptions
		want   string // the accepted extension, "" for none
	}{
		{"plain", "permessage-deflate", CompressionOptions{}, "permessage-deflate"},
		{"unknown parameter declined, next taken", "permessage-deflate; foo=1, permessage-deflate; server_no_context_takeover",
			CompressionOptions{}, "permessage-deflate; server_no_context_takeover"},
		{"duplicate parameter declined", "permessage-deflate; server_no_context_takeover; server_no_context_takeover", CompressionOptions{}, ""},
		{"bad window declined", "permessage-deflate; server_max_window_bits=16", CompressionOptions{}, ""},
		{"leading zero declined", "permessage-deflate; client_max_window_bits=09", CompressionOptions{}, ""},
		{"value on a flag declined", "permessage-deflate; client_no_context_takeover=1", CompressionOptions{}, ""},
		{"server window as asked", "permessage-deflate; server_max_window_bits=10", CompressionOptions{}, "permessage-deflate; server_max_window_bits=10"},
		{"server window smaller than asked", "permessage-deflate; server_max_window_bits=12", CompressionOptions{ServerMaxWindowBits: 9}, "permessage-deflate; server_max_window_bits=9"},
		{"client window without value", "permessage-deflate; client_max_window_bits", CompressionOptions{ClientMaxWindowBits: 11}, "permessage-deflate; client_max_window_bits=11"},
		{"client window impossible: declined", "permessage-deflate", CompressionOptions{ClientMaxWindowBits: 11}, ""},
		{"other extensions ignored", "x-foo, permessage-deflate", CompressionOptions{}, "permessage-deflate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := leakcheckedServer(t, &AcceptOptions{Compression: &tc.server})
			p := dialRaw(t, addr, rawUpgrade("/", "Sec-WebSocket-Extensions: "+tc.offer))
			resp := p.response()
			if resp.StatusCode != 101 {
				t.Fatalf("status %s", resp.Status)
			}
			if got := resp.Header.Get("Sec-WebSocket-Extensions"); got != tc.want {
				t.Fatalf("accepted %q, want %q", got, tc.want)
			}
		})
	}
}

// The client fails the handshake on an answer its offer does not allow.
func TestCompressionClientChecksAnswer(t *testing.T) {
	cases := map[string]string{
		"client window not offered": "permessage-deflate; client_max_window_bits=10",
		"unknown parameter":         "permessage-deflate; x=1",
		"twice":                     "permessage-deflate, permessage-deflate",
		"server window too large":   "permessage-deflate; server_max_window_bits=12",
		"no value":                  "permessage-deflate; client_max_window_bits",
	}
	for name, answer := range cases {
		t.Run(name, func(t *testing.T) {
			addr := fakeServer(t, func(r *http.Request) string { return switching(r, "Sec-WebSocket-Extensions: "+answer+"\r\n") })
			opts := &DialOptions{Compression: &CompressionOptions{ServerMaxWindowBits: 10}}
			if name == "client window not offered" {
				opts.Compression = &CompressionOptions{}
			}
			c, _, err := Dial(testCtx(t), "ws://"+addr, opts)
			if name == "client window not offered" && err == nil {
				// Our offer always includes client_max_window_bits, so
				// the server may answer with a value: accepted.
				c.CloseNow()
				return
			}
			if err == nil {
				c.CloseNow()
				t.Fatalf("answer %q accepted", answer)
			}
		})
	}
	// Without an offer, any permessage-deflate answer is refused.
	addr := fakeServer(t, func(r *http.Request) string { return switching(r, "Sec-WebSocket-Extensions: permessage-deflate\r\n") })
	if c, _, err := Dial(testCtx(t), "ws://"+addr, nil); err == nil {
		c.CloseNow()
		t.Fatal("unoffered permessage-deflate accepted")
	}
}

// deflateRaw compresses with a sync flush and strips the tail, as a peer
// would.
func deflateRaw(t *testing.T, p []byte) []byte {
	c := NewCompressionForTest()
	return c.Compress(nil, p)
}

// A decompression bomb stops at the message limit, with 1009, and the
// server's memory does not follow the bomb.
func TestDecompressionBomb(t *testing.T) {
	addr := echoListener(t, &AcceptOptions{Compression: &CompressionOptions{}, ConnOptions: ConnOptions{MaxMessageSize: 1 << 20}})
	p := dialRaw(t, addr, rawUpgrade("/", "Sec-WebSocket-Extensions: permessage-deflate"))
	if resp := p.response(); resp.Header.Get("Sec-WebSocket-Extensions") == "" {
		t.Fatal("compression not negotiated")
	}
	// 64 MiB of zeros compress to about 64 KiB; send them as the payload
	// of a compressed frame.
	bomb := deflateRaw(t, make([]byte, 64<<20))
	before := heapInUse()
	p.send(wsframe.Header{Fin: true, Opcode: wsframe.OpBinary, Rsv: wsframe.Rsv1}, bomb)
	if code := p.expectClose(); code != CloseMessageTooBig {
		t.Fatalf("close code %v, want 1009", code)
	}
	if grown := int64(heapInUse()) - int64(before); grown > 16<<20 {
		t.Fatalf("heap grew by %d MiB inflating the bomb", grown>>20)
	}
}

// Invalid UTF-8 inside a compressed text message fails the connection with
// 1007 at the first bad byte; corrupt compressed data fails it with 1007.
func TestCompressedBadPayloads(t *testing.T) {
	addr := echoListener(t, &AcceptOptions{Compression: &CompressionOptions{}})
	for name, payload := range map[string][]byte{
		"invalid UTF-8": deflateRaw(t, append(bytes.Repeat([]byte("valid "), 100), 0xff, 'x')),
		"corrupt data":  {0xff, 0xfe, 0xfd, 0xfc, 0x00, 0x01},
	} {
		p := dialRaw(t, addr, rawUpgrade("/", "Sec-WebSocket-Extensions: permessage-deflate"))
		p.response()
		p.send(wsframe.Header{Fin: true, Opcode: wsframe.OpText, Rsv: wsframe.Rsv1}, payload)
		if code := p.expectClose(); code != CloseInvalidPayload {
			t.Fatalf("%s: close code %v, want 1007", name, code)
		}
	}
}

// RSV1 on a continuation frame or a control frame is a protocol error even
// with permessage-deflate.
func TestCompressedRsv1Misplaced(t *testing.T) {
	addr := echoListener(t, &AcceptOptions{Compression: &CompressionOptions{}})
	for _, frames := range [][]byte{
		cat(maskFrame(wsframe.Header{Opcode: wsframe.OpText}, []byte("a")), maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpContinuation, Rsv: wsframe.Rsv1}, []byte("b"))),
		maskFrame(wsframe.Header{Fin: true, Opcode: wsframe.OpPing, Rsv: wsframe.Rsv1}, nil),
	} {
		p := dialRaw(t, addr, rawUpgrade("/", "Sec-WebSocket-Extensions: permessage-deflate"))
		p.response()
		p.conn.Write(frames)
		if code := p.expectClose(); code != CloseProtocolError {
			t.Fatalf("close code %v, want 1002", code)
		}
	}
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// A busy connection keeps its writer; an idle one gives it back, and a
// lone message gives it back at once.
func TestCompressorIdleRelease(t *testing.T) {
	old := compressorIdleRelease
	compressorIdleRelease = 300 * time.Millisecond
	defer func() { compressorIdleRelease = old }()
	server, client := compressedPair(t, &CompressionOptions{}, &CompressionOptions{})
	done := echo(server)
	ctx := testCtx(t)
	roundTrip := func(i int) {
		msg := jsonText(uint64(i), 5000)
		client.WriteMessage(ctx, Text, msg)
		if _, got, err := client.ReadMessage(ctx); err != nil || !bytes.Equal(got, msg) {
			t.Fatal(err)
		}
	}
	roundTrip(0)
	if !idleUnderLock(client) {
		t.Fatal("a lone message kept the writer")
	}
	// Two messages in a row: the second finds the connection busy.
	msgs := [][]byte{jsonText(1, 5000), jsonText(2, 5000)}
	for _, msg := range msgs {
		client.WriteMessage(ctx, Text, msg)
	}
	for _, msg := range msgs {
		if _, got, err := client.ReadMessage(ctx); err != nil || !bytes.Equal(got, msg) {
			t.Fatal(err)
		}
	}
	if client.dfl.comp.Idle() {
		t.Fatal("the writer was given back while busy")
	}
	deadline := time.Now().Add(2 * time.Second)
	for !idleUnderLock(client) {
		if time.Now().After(deadline) {
			t.Fatal("the writer was not given back when idle")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// And the context survives: the next message still round-trips.
	msg := jsonText(7, 5000)
	client.WriteMessage(ctx, Text, msg)
	if _, got, err := client.ReadMessage(ctx); err != nil || !bytes.Equal(got, msg) {
		t.Fatal(err)
	}
	client.Close(CloseNormal, "")
	<-done
}

func idleUnderLock(c *Conn) bool {
	c.msgMu.lockAlways()
	defer c.msgMu.unlock()
	return c.dfl.comp.Idle()
}

// Compressed and uncompressed messages mix on one connection, and a
// NextReader on a compressed message streams.
func TestCompressionMixedAndStreamedRead(t *testing.T) {
	server, client := compressedPair(t, &CompressionOptions{}, &CompressionOptions{})
	ctx := testCtx(t)
	msgs := [][]byte{jsonText(1, 300), []byte("x"), jsonText(2, 300000)}
	go func() {
		for i, m := range msgs {
			typ := Text
			if i == 1 {
				typ |= Uncompressed
			}
			client.WriteMessage(ctx, typ, m)
		}
	}()
	for _, m := range msgs {
		typ, r, err := server.NextReader(ctx)
		if err != nil || typ != Text {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("%d bytes, want %d: %v", len(got), len(m), err)
		}
	}
	// A message skipped half-read keeps the context for the next.
	go func() {
		client.WriteMessage(ctx, Text, jsonText(3, 200000))
		client.WriteMessage(ctx, Text, jsonText(3, 1000))
	}()
	_, r, _ := server.NextReader(ctx)
	buf := make([]byte, 100)
	r.Read(buf)
	if _, got, err := server.ReadMessage(ctx); err != nil || !bytes.Equal(got, jsonText(3, 1000)) {
		t.Fatalf("after a skipped message: %d bytes, %v", len(got), err)
	}
}
