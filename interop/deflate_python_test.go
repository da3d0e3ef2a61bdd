package interop

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/fastws/fastws"
	"github.com/fastws/fastws/internal/leakcheck"
)

// pyKwargs are the keyword arguments of websockets's
// ClientPerMessageDeflateFactory or ServerPerMessageDeflateFactory.
type pyKwargs map[string]any

// websockets 10.4 compresses with zlib.compressobj(wbits=-bits), which
// refuses 8 bits ("Invalid initialization option"): its own compressor
// cannot take a window of 8, so no variant asks it to (its inflater
// can). Hence the window sizes tried: 9, 12 and 15 for its compressor, 8,
// 12 and 15 for its inflater.
var (
	pyCompressWindows = []int{9, 12, 15}
	pyInflateWindows  = []int{8, 12, 15}
)

// The websockets client's variants against a fastws server. Its default
// offer is "permessage-deflate; client_max_window_bits".
var pythonClientVariants = concat([]deflateVariant{
	{name: "defaults", want: "permessage-deflate", full: true, big: true},
	{name: "py-server-no-context-takeover", peer: pyKwargs{"server_no_context_takeover": true},
		want: "permessage-deflate; server_no_context_takeover"},
	{name: "py-client-no-context-takeover", peer: pyKwargs{"client_no_context_takeover": true},
		want: "permessage-deflate; client_no_context_takeover"},
	{name: "py-both-no-context-takeover", peer: pyKwargs{"server_no_context_takeover": true, "client_no_context_takeover": true},
		want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
},
	windowVariants("py-server-window-%d", pyInflateWindows, func(bits int) (fastws.CompressionOptions, any, string) {
		return fastws.CompressionOptions{}, pyKwargs{"server_max_window_bits": bits}, fmt.Sprintf("permessage-deflate; server_max_window_bits=%d", bits)
	}),
	windowVariants("py-client-window-%d", pyCompressWindows, func(bits int) (fastws.CompressionOptions, any, string) {
		return fastws.CompressionOptions{}, pyKwargs{"client_max_window_bits": bits}, fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", bits)
	}),
	[]deflateVariant{
		{name: "fastws-server-no-context-takeover", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true},
			want: "permessage-deflate; server_no_context_takeover"},
		{name: "fastws-client-no-context-takeover", fastws: fastws.CompressionOptions{ClientNoContextTakeover: true},
			want: "permessage-deflate; client_no_context_takeover"},
		{name: "fastws-server-window-8", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 8},
			want: "permessage-deflate; server_max_window_bits=8"},
		{name: "fastws-client-window-10", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 10},
			want: "permessage-deflate; client_max_window_bits=10"},
		{name: "fastws-all-small", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 8, ClientMaxWindowBits: 9},
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=9", full: true},
		// websockets offers no client_max_window_bits: fastws cannot have
		// the smaller client window it wants, and declines.
		{name: "fastws-client-window-10-declined", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 10},
			peer: pyKwargs{"client_max_window_bits": nil}, want: ""},
		{name: "smaller-server-window-py", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 12},
			peer: pyKwargs{"server_max_window_bits": 10}, want: "permessage-deflate; server_max_window_bits=10"},
		{name: "smaller-client-window-fastws", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 9},
			peer: pyKwargs{"client_max_window_bits": 12}, want: "permessage-deflate; client_max_window_bits=9"},
		{name: "py-all", fastws: fastws.CompressionOptions{Level: 9},
			peer: pyKwargs{"server_no_context_takeover": true, "client_no_context_takeover": true, "server_max_window_bits": 10, "client_max_window_bits": 11},
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"},
		{name: "compress-everything", fastws: fastws.CompressionOptions{Threshold: -1}, want: "permessage-deflate"},
	})

// The websockets server's variants against a fastws client. Its default
// factory (compression="deflate") asks for 12-bit windows both ways.
var pythonServerVariants = concat([]deflateVariant{
	{name: "defaults", want: "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12", full: true, big: true},
	{name: "py-plain", peer: pyKwargs{}, want: "permessage-deflate"},
	{name: "py-server-no-context-takeover", peer: pyKwargs{"server_no_context_takeover": true},
		want: "permessage-deflate; server_no_context_takeover"},
	{name: "py-client-no-context-takeover", peer: pyKwargs{"client_no_context_takeover": true},
		want: "permessage-deflate; client_no_context_takeover"},
	{name: "py-both-no-context-takeover", peer: pyKwargs{"server_no_context_takeover": true, "client_no_context_takeover": true},
		want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"},
},
	windowVariants("py-server-window-%d", pyCompressWindows, func(bits int) (fastws.CompressionOptions, any, string) {
		return fastws.CompressionOptions{}, pyKwargs{"server_max_window_bits": bits}, fmt.Sprintf("permessage-deflate; server_max_window_bits=%d", bits)
	}),
	windowVariants("py-client-window-%d", pyInflateWindows, func(bits int) (fastws.CompressionOptions, any, string) {
		return fastws.CompressionOptions{}, pyKwargs{"client_max_window_bits": bits}, fmt.Sprintf("permessage-deflate; client_max_window_bits=%d", bits)
	}),
	[]deflateVariant{
		{name: "fastws-server-no-context-takeover", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true}, peer: pyKwargs{},
			want: "permessage-deflate; server_no_context_takeover"},
		{name: "fastws-client-no-context-takeover", fastws: fastws.CompressionOptions{ClientNoContextTakeover: true}, peer: pyKwargs{},
			want: "permessage-deflate; client_no_context_takeover"},
		{name: "fastws-server-window-10", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 10}, peer: pyKwargs{},
			want: "permessage-deflate; server_max_window_bits=10"},
		{name: "fastws-client-window-8", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 8}, peer: pyKwargs{},
			want: "permessage-deflate; client_max_window_bits=8"},
		{name: "fastws-windows-vs-py-defaults", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 9, ClientMaxWindowBits: 10},
			want: "permessage-deflate; server_max_window_bits=9; client_max_window_bits=10"},
		{name: "smaller-server-window-py", fastws: fastws.CompressionOptions{ServerMaxWindowBits: 12},
			peer: pyKwargs{"server_max_window_bits": 9}, want: "permessage-deflate; server_max_window_bits=9"},
		{name: "smaller-client-window-py", fastws: fastws.CompressionOptions{ClientMaxWindowBits: 12},
			peer: pyKwargs{"client_max_window_bits": 10}, want: "permessage-deflate; client_max_window_bits=10"},
		{name: "fastws-all", fastws: fastws.CompressionOptions{ServerNoContextTakeover: true, ClientNoContextTakeover: true, ServerMaxWindowBits: 10, ClientMaxWindowBits: 8, Level: 9},
			peer: pyKwargs{}, want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=8", full: true},
		{name: "py-all", peer: pyKwargs{"server_no_context_takeover": true, "client_no_context_takeover": true, "server_max_window_bits": 9, "client_max_window_bits": 8},
			want: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=8"},
		{name: "compress-everything", fastws: fastws.CompressionOptions{Threshold: -1}, peer: pyKwargs{}, want: "permessage-deflate"},
	})

// TestPythonClientToFastwsServerDeflate runs websockets's client
// (python/client.py) with the deflate list against a fastws server with
// permessage-deflate, once per variant of pythonClientVariants.
func TestPythonClientToFastwsServerDeflate(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingPython()...)
	runPeerClientVariants(t, pythonClientVariants, pythonEnv(), false, []string{"ping-from-client"}, func(base, config string) []string {
		return []string{pythonPath, filepath.Join("python", "client.py"), base, config}
	})
}

// TestFastwsClientToPythonServerDeflate runs the deflate list with a
// fastws client against websockets's server (python/echo_server.py), once
// per variant of pythonServerVariants, all served by one server process.
func TestFastwsClientToPythonServerDeflate(t *testing.T) {
	leakcheck.Check(t)
	requirePeers(t, missingPython()...)
	runPeerServerVariants(t, pythonServerVariants, pythonEnv(), pythonPath, filepath.Join("python", "echo_server.py"))
}
