package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
)

// wsOpts is a perMessageDeflate option of Node's ws.
type wsOpts map[string]any

// The ws client's variants against a fastws server. ws's client offers
// "permessage-deflate; client_max_window_bits" by default; it takes
// serverMaxWindowBits and clientMaxWindowBits from 8 to 15 (zlib compresses
// with a 9-bit window when asked for 8, but never reaches back more than
// 250 bytes, so it keeps to 8 all the same).
var nodeClientVariants = concat([]deflateVariant{
	{name: "defaults", want: "permessage-deflate", full: true, big: true},
	{name: "ws-server-no-context-takeover", peer: wsOpts{"serverNoContextTakeover": true},
		want: "permessage-deflate; server_no_context_takeover"},
	{name: "ws-client-no-context-takeover", peer: wsOpts{"clientNoContextTakeover": true},
		want: "permessage-deflate; client_no_context_takeover"},
	{name: "ws-both-no-context-takeover", peer: wsOpts{"serverNoContextTakeover": true, "clientNoContextTakeover": true},
		want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
},
	windowVariants("ws-server-window-%d", wsWindows, func(bits int) (fastws.CompressionOptions, any, string) {
		return fastws.CompressionOptions{}, wsOpts{"serverMaxWindowBits": bits}, fmt.Sprintf("permessage-deflate; server_max_window_bits=%d", bits)
	}),
	windowVariants("ws-client-window-%d", wsWindows, func(bits int) (fastws.CompressionOptions, any, string) {
		return fastws.CompressionOptions{}, wsOpts{"clientMaxWindowBits": bits}, fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", bits)
	}),
	[]deflateVariant{
		{name: "fastws-server-no-context-takeover", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true},
			want: "permessage-deflate; server_no_context_takeover"},
		{name: "fastws-client-no-context-takeover", fastws: fastws.CompressionOptions{ClientNoContextTakeover: true},
			want: "permessage-deflate; client_no_context_takeover"},
		{name: "fastws-server-window-9", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 9},
			want: "permessage-deflate; server_max_window_bits=9"},
		{name: "fastws-client-window-10", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 10},
			want: "permessage-deflate; client_max_window_bits=10"},
		{name: "fastws-all-small", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 8, ClientMaxWindowBits: 8},
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=8", full: true},
		// ws offers no client_max_window_bits: fastws cannot have the
		// smaller client window it wants, and declines.
		{name: "fastws-client-window-10-declined", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 10},
			peer: wsOpts{"clientMaxWindowBits": false}, want: ""},
		{name: "smaller-server-window-ws", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 12},
			peer: wsOpts{"serverMaxWindowBits": 10}, want: "permessage-deflate; server_max_window_bits=10"},
		{name: "smaller-client-window-fastws", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 9},
			peer: wsOpts{"clientMaxWindowBits": 12}, want: "permessage-deflate; client_max_window_bits=9"},
		{name: "ws-all", fastws: fastws.CompressionOptions{Level: 9},
			peer: wsOpts{"serverNoContextTakeover": true, "clientNoContextTakeover": true, "serverMaxWindowBits": 10, "clientMaxWindowBits": 11},
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"},
		// Both compress every message, the empty ones too.
		{name: "compress-everything", fastws: fastws.CompressionOptions{Threshold: -1},
			peer: wsOpts{"clientNoContextTakeover": true, "threshold": 0}, want: "permessage-deflate; client_no_context_takeover"},
	})

// The ws server's variants against a fastws client, which offers
// "permessage-deflate; client_max_window_bits" by default. ws answers an
// offer it cannot accept with 400 rather than declining it (a
// server_max_window_bits below its own, a client_max_window_bits below its
// own), so no variant here is declined.
var nodeServerVariants = concat([]deflateVariant{
	{name: "defaults", peer: true, want: "permessage-deflate", full: true, big: true},
	{name: "ws-server-no-context-takeover", peer: wsOpts{"serverNoContextTakeover": true},
		want: "permessage-deflate; server_no_context_takeover"},
	{name: "ws-client-no-context-takeover", peer: wsOpts{"clientNoContextTakeover": true},
		want: "permessage-deflate; client_no_context_takeover"},
	{name: "ws-both-no-context-takeover", peer: wsOpts{"serverNoContextTakeover": true, "clientNoContextTakeover": true},
		want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
},
	windowVariants("ws-server-window-%d", wsWindows, func(bits int) (fastws.CompressionOptions, any, string) {
		return fastws.CompressionOptions{}, wsOpts{"serverMaxWindowBits": bits}, fmt.Sprintf("permessage-deflate; server_max_window_bits=%d", bits)
	}),
	windowVariants("ws-client-window-%d", wsWindows, func(bits int) (fastws.CompressionOptions, any, string) {
		return fastws.CompressionOptions{}, wsOpts{"clientMaxWindowBits": bits}, fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", bits)
	}),
	[]deflateVariant{
		{name: "fastws-server-no-context-takeover", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true}, peer: true,
			want: "permessage-deflate; server_no_context_takeover"},
		{name: "fastws-client-no-context-takeover", fastws: fastws.CompressionOptions{ClientNoContextTakeover: true}, peer: true,
			want: "permessage-deflate; client_no_context_takeover"},
		{name: "fastws-server-window-8", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 8}, peer: true,
			want: "permessage-deflate; server_max_window_bits=8"},
		{name: "fastws-client-window-10", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 10}, peer: true,
			want: "permessage-deflate; client_max_window_bits=10"},
		{name: "fastws-all", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 11, Level: 9},
			peer: true, want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"},
		{name: "smaller-server-window-ws", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 12},
			peer: wsOpts{"serverMaxWindowBits": 10}, want: "permessage-deflate; server_max_window_bits=10"},
		{name: "smaller-client-window-ws", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 12},
			peer: wsOpts{"clientMaxWindowBits": 9}, want: "permessage-deflate; client_max_window_bits=9"},
		{name: "ws-all", peer: wsOpts{"serverNoContextTakeover": true, "clientNoContextTakeover": true, "serverMaxWindowBits": 9, "clientMaxWindowBits": 8},
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8", full: true},
		{name: "compress-everything", fastws: fastws.CompressionOptions{Threshold: -1},
			peer: wsOpts{"serverNoContextTakeover": true, "threshold": 0}, want: "permessage-deflate; server_no_context_takeover"},
	})

// windowVariants makes one variant per window size in sizes, named by
// format; mk gives its options, peer configuration and expected
// extension.
func windowVariants(format string, sizes []int, mk func(bits int) (fastws.CompressionOptions, any, string)) []deflateVariant {
	var vs []deflateVariant
	for _, bits := range sizes {
		o, peer, want := mk(bits)
		vs = append(vs, deflateVariant{name: fmt.Sprintf(format, bits), fastws: o, peer: peer, want: want})
	}
	return vs
}

// wsWindows are the window sizes tried with ws, which takes 8 to 15: both
// ends, 9 (the window zlib compresses with when asked for 8) and one in
// the middle. Sizes between behave as these do, on both sides: fastws
// compresses with one encoder below 15 bits and another at 15.
var wsWindows = []int{8, 9, 12, 15}

func concat(lists ...[]deflateVariant) []deflateVariant {
	var out []deflateVariant
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// TestNodeClientToFastwsServerDeflate runs ws's client (node/client.js)
// with the deflate list against a fastws server with permessage-deflate,
// once per variant of nodeClientVariants.
func TestNodeClientToFastwsServerDeflate(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingNode("ws")...)
	runPeerClientVariants(t, nodeClientVariants, os.Environ(), false, []string{"ping-from-client"}, func(base, config string) []string {
		return []string{"node", filepath.Join(nodeDir, "client.js"), base, config}
	})
}

// TestFastwsClientToNodeServerDeflate runs the deflate list with a fastws
// client against ws's server (node/echo-server.js), once per variant of
// nodeServerVariants, all served by one server process.
func TestFastwsClientToNodeServerDeflate(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingNode("ws")...)
	runPeerServerVariants(t, nodeServerVariants, os.Environ(), "node", filepath.Join(nodeDir, "echo-server.js"))
}
