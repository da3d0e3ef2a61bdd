package harness

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/fastws/fastws/bench/procstat"
	"github.com/fastws/fastws/bench/servers"
	"github.com/fastws/fastws/internal/loadgen"
)

// compressionDefaults says what each server's compression is: its
// library's defaults, which the servers keep (see the servers package).
var compressionDefaults = map[string]string{
	servers.Fastws:          "zero CompressionOptions: level 1, context takeover both ways, 15-bit windows, threshold 128 B; klauspost/compress",
	servers.FastwsHandle:    "zero CompressionOptions, as fastws, read with HandleMessages (as the Server's goroutine driver reads), which keeps its gathering buffer for the next message",
	servers.FastwsNoContext: "ServerNoContextTakeover, read with HandleMessages: level 1, no server context takeover, client context as the client offers, 15-bit windows, threshold 128 B; klauspost/compress",
	servers.FastwsWindow12:  "ServerMaxWindowBits 12, read with HandleMessages: level 1, context takeover with a 4 KiB server window (fastws's encoder, as the default's with a smaller window), threshold 128 B",
	servers.FastwsLoop:      "zero CompressionOptions, as fastws, on the event-loop driver with servers.EventLoops loops (nbio's count): level 1, context takeover both ways, 15-bit windows, threshold 128 B; klauspost/compress",
	servers.FastwsLoopAll:   "zero CompressionOptions, as fastws-loop, with one loop per GOMAXPROCS",
	"gorilla":               "Upgrader.EnableCompression: no context takeover (its only mode), level 1, every message; compress/flate",
	"coder":                 "CompressionContextTakeover (its default is CompressionDisabled): level 1, threshold 128 B; compress/flate",
	"gws":                   "PermessageDeflate{Enabled: true}: no context takeover by default, level 1, threshold 512 B, 32 shared compressors; klauspost/compress",
	servers.EpollFloor:      "the reference, not a library: no codec; agrees to no context takeover either way and echoes each frame as it came, the client's compressed payload included (a valid echo under that agreement): what a compressed echo costs on an event loop without compressing or inflating",
}

func (r *Report) writeCompressedHeader(b *strings.Builder) {
	o := r.Opts
	fmt.Fprintf(b, "# WebSocket compressed echo benchmark (permessage-deflate)\n\n")
	fmt.Fprintf(b, "- date: %s\n", r.Start.Format(time.RFC3339))
	fmt.Fprintf(b, "- go version: %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(b, "- GOMAXPROCS: %d (NumCPU %d), the same for the servers\n", runtime.GOMAXPROCS(0), runtime.NumCPU())
	writeAffinity(b, o)
	fmt.Fprintf(b, "- CPU: %s\n", procstat.CPUModel())
	fmt.Fprintf(b, "- libraries: %s; github.com/klauspost/compress %s (one version in the binary, for fastws and gws); gorilla and coder use the standard library's compress/flate\n",
		libraryVersions(o.Servers), moduleVersion("github.com/klauspost/compress"))
	fmt.Fprintf(b, "- load: JSON text (orders with ids, names, prices, nested arrays; %d distinct documents per size, cycled, so that messages are alike as real traffic is, not identical), "+
		"each compressed once in advance by the load generator at flate level %d without context and sent pre-masked as a text frame with RSV1; one in flight per connection; %v measured after %v of warm-up; %d load-generator event loop(s)\n",
		loadgen.DefaultVariants, loadgen.ClientLevel, o.Timing.Duration, o.Timing.Warmup, max(o.Load.Loops, 1))
	writeRounds(b, o)
	fmt.Fprintf(b, "- client offer: `%s`; a server that declines it fails the run\n", o.Load.offer())
	if o.Load.offer() == loadgen.ClientContextOffer {
		fmt.Fprintf(b, "- the client's context is taken over, as browsers offer it: a server that accepts keeps each connection's history of the client's messages and inflates every message with it, though the messages, compressed in advance, never refer back to it\n")
	}
	fmt.Fprintf(b, "- echoes are counted by their frame headers; the first two of each connection are inflated (the second with the server's context, if it keeps one) and compared with what was sent\n")
	fmt.Fprintf(b, "- bytes per message are whole frames, headers included; raw is the JSON document's size\n")
	fmt.Fprintf(b, "- ratios are against the best peer (every library but fastws) in the cell: msgs/s over the highest peer msgs/s, CPU over the lowest peer CPU per message\n")

	b.WriteString("\n## Negotiation\n\n")
	b.WriteString("Each server keeps its library's compression defaults. The extension is the server's `Sec-WebSocket-Extensions` response as the load generator received it.\n\n")
	b.WriteString("| library | negotiated extension | server context takeover | server configuration |\n")
	b.WriteString("|---|---|---|---|\n")
	exts := r.extensions()
	for _, name := range o.Servers {
		ext, takeover := exts[name], "—"
		if ext != "" {
			takeover = "yes"
			if strings.Contains(ext, "server_no_context_takeover") {
				takeover = "no"
			}
			ext = "`" + ext + "`"
		} else {
			ext = "(none: every run failed)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", name, ext, takeover, cellText(compressionDefaults[name]))
	}
}

// extensions returns each server's negotiated extension, from whichever
// measurement got one.
func (r *Report) extensions() map[string]string {
	exts := map[string]string{}
	for _, c := range r.Cells {
		for _, row := range c.Rows {
			if exts[row.Server] == "" {
				exts[row.Server] = row.Extension
			}
		}
	}
	for _, m := range r.Memory {
		if exts[m.Server] == "" {
			exts[m.Server] = m.Extension
		}
	}
	return exts
}

// wireColumns gives a compressed row's bytes on the wire per message.
func wireColumns(w loadgen.Wire) string {
	if w.Messages == 0 {
		return " | | |"
	}
	n := float64(w.Messages)
	received := FormatCount(float64(w.Received) / n)
	if w.Compressed < w.Messages {
		received += fmt.Sprintf(" (%.0f %% of echoes compressed)", 100*float64(w.Compressed)/n)
	}
	return fmt.Sprintf(" %s | %s | %.3f |", FormatCount(float64(w.Sent)/n), received, float64(w.Received)/float64(w.Payload))
}

func (r *Report) writeCompressedMemory(b *strings.Builder) {
	if r.Opts.MemoryConns <= 0 {
		return
	}
	fmt.Fprintf(b, "\n## Memory: server RSS per idle compressed connection at %d connections\n\n", r.Opts.MemoryConns)
	if r.MemorySkipped != "" {
		fmt.Fprintf(b, "Skipped: %s.\n", cellText(r.MemorySkipped))
		return
	}
	fmt.Fprintf(b, "RSS (VmRSS) of a fresh server process before any connection, then per connection (RSS − RSS before) / connections: "+
		"(a) with every connection open and idle after a handshake that negotiated compression; "+
		"(c) right after each connection echoed one %s compressed JSON message (all at once; \"echoes took\" is how long); "+
		"(b) after %v more of idleness, by which time fastws has given each connection's pooled flate writer back (it does 1 s after a connection's last compressed message); "+
		"(d) then, after the harness made the server run its garbage collector twice and debug.FreeOSMemory (SIGUSR1): "+
		"what the idle connections still hold. Between (b) and (d), memory that is free to the Go runtime but not yet returned to the OS: "+
		"an idle server may not collect for up to two minutes, so (b) is what an idle server's RSS shows and (d) what the connections cost. "+
		"As in the uncompressed benchmark, the fastws, gorilla and coder echo servers keep their read buffer per connection for the next message (here at least %s each), "+
		"while gws's OnMessage hands its buffer back to gws's pool: from (c) on, their figures include that buffer and gws's do not.\n\n",
		FormatSize(r.Opts.Load.memoryEcho()), compressedMemoryIdle, FormatSize(r.Opts.Load.memoryEcho()))
	b.WriteString("| library | RSS before | (a) after handshake KiB/conn | (c) right after echo KiB/conn | (b) idle 2 s after echo KiB/conn | (d) after GC KiB/conn | echoes took | (a) vs best peer | (b) vs best peer | (d) vs best peer |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	bestA := bestPeerMemory(r.Memory, func(m MemoryRow) float64 { return m.IdlePerCon })
	bestB := bestPeerMemory(r.Memory, func(m MemoryRow) float64 { return m.EchoPerCon })
	bestD := bestPeerMemory(r.Memory, func(m MemoryRow) float64 { return m.CollectedPer })
	ratio := func(v, best float64) string {
		if best <= 0 {
			return "—"
		}
		return formatRatio(v / best)
	}
	for _, m := range r.Memory {
		if m.Err != nil {
			fmt.Fprintf(b, "| %s | error: %s | | | | | | | | |\n", m.Server, cellText(m.Err.Error()))
			continue
		}
		fmt.Fprintf(b, "| %s | %s | %.2f | %.2f | %.2f | %.2f | %s | %s | %s | %s |\n",
			m.Server, formatMiB(m.Baseline), m.IdlePerCon/1024, m.EchoNowPerCon/1024, m.EchoPerCon/1024, m.CollectedPer/1024,
			FormatLatency(m.EchoTime), ratio(m.IdlePerCon, bestA), ratio(m.EchoPerCon, bestB), ratio(m.CollectedPer, bestD))
	}
}

// bestPeerMemory returns the lowest value among the peers' rows, or 0 if
// no peer succeeded.
func bestPeerMemory(rows []MemoryRow, value func(MemoryRow) float64) float64 {
	best, found := 0.0, false
	for _, m := range rows {
		if m.Err != nil || servers.IsFastws(m.Server) || servers.IsReference(m.Server) {
			continue
		}
		if v := value(m); !found || v < best {
			best, found = v, true
		}
	}
	return best
}
