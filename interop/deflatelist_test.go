package interop

// The deflate list: the echo list's counterpart for connections with
// permessage-deflate (see doc.go), as the fastws client runs it.

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"

	"github.com/fastws/fastws"
)

// deflateList is the list for one variant. Every variant runs the short
// list; full adds json-1MiB and has pipelined-1000-mixed instead of
// pipelined-100-mixed; big adds random-16MiB.
func deflateList(full, big bool) []echoItem {
	pipelinedName, pipelinedN := "pipelined-100-mixed", 100
	if full {
		pipelinedName, pipelinedN = "pipelined-1000-mixed", 1000
	}
	list := []echoItem{
		{"text", echoOf(fastws.Text, func() []byte { return []byte("hello, fastws") })},
		{"text-utf8", echoOf(fastws.Text, func() []byte { return []byte("héllo wörld ✓ 日本語 🚀") })},
		{"empty-text", echoOf(fastws.Text, func() []byte { return []byte{} })},
		{"empty-binary", echoOf(fastws.Binary, func() []byte { return []byte{} })},
		{"json-127", echoOf(fastws.Text, jsonText(127))},
		{"json-128", echoOf(fastws.Text, jsonText(128))},
		{"json-binary-129", echoOf(fastws.Binary, jsonText(129))},
		{"binary", echoOf(fastws.Binary, func() []byte {
			b := make([]byte, 256)
			for i := range b {
				b[i] = byte(i)
			}
			return b
		})},
		{"binary-65536", echoOf(fastws.Binary, randomBytes(65536))},
		{"json-64KiB", echoOf(fastws.Text, jsonText(64<<10))},
		{"json-1MiB", echoOf(fastws.Text, jsonText(mib))},
		{"random-1MiB", echoOf(fastws.Binary, randomBytes(mib))},
		{"random-16MiB", echoOf(fastws.Binary, randomBytes(16*mib))},
		{"text-utf8-64KiB", echoOf(fastws.Text, randomText(64<<10, false))},
		{"json-repeated-3", jsonRepeated},
		{"uncompressed-json", uncompressedJSON},
		{pipelinedName, pipelinedMixed(pipelinedN)},
		{"fragmented-text-sent", fragmentedTextSent},
		{"fragmented-json-sent", fragmentedJSONSent},
		{"fragmented-binary-sent", fragmentedBinarySent},
		{"fragmented-received", fragmentedReceivedMessage},
		{"ping-by-client", pingByClient(func() []byte { return []byte("ping-from-client") })},
		{"ping-by-server", pingByServer},
		{"compression-probe", compressionProbe},
		{"close-by-client", closeByClient},
		{"close-by-server", closeByServer},
	}
	return slices.DeleteFunc(list, func(it echoItem) bool {
		return it.name == "json-1MiB" && !full || it.name == "random-16MiB" && !big
	})
}

// deflateListNames are the names of the deflate list; browserList leaves
// out what a page cannot do (send fragments or pings).
func deflateListNames(full, big, browserList bool) []string {
	var names []string
	for _, it := range deflateList(full, big) {
		names = append(names, it.name)
	}
	if browserList {
		cannot := []string{"fragmented-text-sent", "fragmented-json-sent", "fragmented-binary-sent", "ping-by-client"}
		names = slices.DeleteFunc(names, func(n string) bool { return slices.Contains(cannot, n) })
	}
	return names
}

// jsonWords are the words of jsonText's records.
var jsonWords = []string{"alpha", "beta", "gamma", "delta", "fastws", "deflate", "window", "context"}

// jsonText returns a function making n bytes of compressible JSON-like
// ASCII text, new at each call: `[{"id":…,"name":"user-…",…},…` cut at n.
func jsonText(n int) func() []byte {
	return func() []byte {
		rng := mrand.New(mrand.NewPCG(mrand.Uint64(), mrand.Uint64()))
		b := make([]byte, 0, n+128)
		b = append(b, '[')
		for len(b) < n {
			id := rng.IntN(100000)
			b = fmt.Appendf(b, `{"id":%d,"name":"user-%d","tags":["%s","%s"],"active":%t,"score":%d},`,
				id, id, jsonWords[rng.IntN(len(jsonWords))], jsonWords[rng.IntN(len(jsonWords))], rng.IntN(2) == 1, rng.IntN(1000))
		}
		return b[:n]
	}
}

// jsonRepeated sends the same 5000 bytes of JSON-like text three times
// before reading the echoes: with context takeover the repeats compress to
// back-references into the previous message, as far back as the window
// lets them.
func jsonRepeated(ctx context.Context, c *echoClient) (string, error) {
	p := jsonText(5000)()
	for i := range 3 {
		if err := c.conn.WriteMessage(ctx, fastws.Text, p); err != nil {
			return "", fmt.Errorf("WriteMessage %d: %w", i, err)
		}
	}
	for i := range 3 {
		typ, got, err := c.conn.ReadMessage(ctx)
		if err != nil {
			return "", fmt.Errorf("ReadMessage %d: %w", i, err)
		}
		if err := sameMessage(typ, got, fastws.Text, p); err != nil {
			return "", fmt.Errorf("echo %d: %w", i, err)
		}
	}
	return "3 × 5000 bytes echoed intact", nil
}

// uncompressedJSON sends "uncompressed:" and 64 KiB of JSON-like text
// with fastws.Uncompressed: one uncompressed message amid compressed ones,
// which must not enter either side's window. (A fastws server echoes it
// uncompressed too.)
func uncompressedJSON(ctx context.Context, c *echoClient) (string, error) {
	p := append([]byte("uncompressed:"), jsonText(64<<10)()...)
	if err := c.conn.WriteMessage(ctx, fastws.Text|fastws.Uncompressed, p); err != nil {
		return "", fmt.Errorf("WriteMessage: %w", err)
	}
	typ, got, err := c.conn.ReadMessage(ctx)
	if err != nil {
		return "", fmt.Errorf("ReadMessage: %w", err)
	}
	if err := sameMessage(typ, got, fastws.Text, p); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d bytes sent uncompressed, echoed intact", len(p)), nil
}

// pipelinedMixedMessage is message i of pipelined-N-mixed: text for even
// i, binary for odd i, (37·i mod 400) bytes of `{"seq":I,…}` repeated, so
// that the sizes cross the 128-byte threshold both ways.
func pipelinedMixedMessage(i int) (fastws.MessageType, []byte) {
	unit := fmt.Sprintf(`{"seq":%d,"name":"item-%d","ok":true}`, i, i)
	n := 37 * i % 400
	p := []byte(strings.Repeat(unit, n/len(unit)+1)[:n])
	if i%2 == 0 {
		return fastws.Text, p
	}
	return fastws.Binary, p
}

// pipelinedMixed sends n messages of pipelinedMixedMessage, then reads
// their echoes.
func pipelinedMixed(n int) func(context.Context, *echoClient) (string, error) {
	return func(ctx context.Context, c *echoClient) (string, error) {
		return pipelinedMixedN(ctx, c, n)
	}
}

func pipelinedMixedN(ctx context.Context, c *echoClient, n int) (string, error) {
	for i := range n {
		typ, p := pipelinedMixedMessage(i)
		if err := c.conn.WriteMessage(ctx, typ, p); err != nil {
			return "", fmt.Errorf("WriteMessage %d: %w", i, err)
		}
	}
	for i := range n {
		typ, p := pipelinedMixedMessage(i)
		gotType, got, err := c.conn.ReadMessage(ctx)
		if err != nil {
			return "", fmt.Errorf("ReadMessage %d: %w", i, err)
		}
		if err := sameMessage(gotType, got, typ, p); err != nil {
			return "", fmt.Errorf("message %d: %w", i, err)
		}
	}
	return fmt.Sprintf("%d messages of 0 to 399 bytes echoed in order", n), nil
}

// fragmentedJSONSent streams 100,000 bytes of JSON-like text with
// NextWriter in four writes: one compressed message.
func fragmentedJSONSent(ctx context.Context, c *echoClient) (string, error) {
	parts := [][]byte{jsonText(25000)(), jsonText(25000)(), jsonText(25000)(), jsonText(25000)()}
	return streamedEcho(ctx, c, fastws.Text, parts)
}

// fragmentedReceivedMessage asks the server for a fragmented message and
// reads it with ReadMessage: on a compressed connection ReadFrame would
// hand over compressed frames and leave the inflater's window behind, so
// the frames themselves are looked at by the compression probe, on a
// connection of its own.
func fragmentedReceivedMessage(ctx context.Context, c *echoClient) (string, error) {
	want := append([]byte("fragment-me:"), randomText(40000, false)()...)
	if err := roundTrip(ctx, c.conn, fastws.Text, want); err != nil {
		return "", err
	}
	return fmt.Sprintf("%d bytes echoed intact", len(want)), nil
}
