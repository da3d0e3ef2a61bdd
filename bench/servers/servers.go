// Package servers holds one WebSocket echo server per library under test,
// each written with that library's fastest idiomatic API: origin checks
// off, a message limit of MaxMessageSize, and compression off, or for the
// libraries in Compressed, permessage-deflate on with the library's own
// defaults. ServeWith sets other limits, each library's default included,
// for the memory battery. Two servers are no library but yardsticks
// (Reference): the least a server of each design can do per message.
package servers

import (
	"errors"
	"fmt"
	"net"
	"slices"

	"github.com/gobwas/ws"
)

// MaxMessageSize is the largest message every server accepts.
const MaxMessageSize = 64 << 20

// keptBufferSize bounds the read buffer a connection keeps between
// messages: one huge message should not pin its memory for the
// connection's life.
const keptBufferSize = 1 << 20

// Fastws is the name of the library being benchmarked, with its
// AppendMessage loop; FastwsHandle is fastws with HandleMessages; both
// run a goroutine per connection. FastwsLoop is fastws's event-loop
// driver. Every other name in Names but the references is a peer they are
// compared against.
const (
	Fastws       = "fastws"
	FastwsHandle = "fastws-handle"
)

// The compression modes a fastws server can choose, beside its default
// (Fastws: context takeover, 15-bit windows): FastwsNoContext asks for
// server_no_context_takeover, FastwsWindow12 for a 12-bit (4 KiB) server
// window. Both are Fastws otherwise. They are compressed servers only.
const (
	FastwsNoContext = "fastws-nocontext"
	FastwsWindow12  = "fastws-window12"
)

// Modes lists the compression modes' servers.
var Modes = []string{FastwsNoContext, FastwsWindow12}

// IsFastws reports whether name is one of fastws's own servers.
func IsFastws(name string) bool {
	return name == Fastws || name == FastwsHandle || name == FastwsLoop || name == FastwsLoopAll || slices.Contains(Modes, name)
}

// serveFuncs maps each name to a function that serves echo on ln until
// the process ends (most stop accepting when ln is closed; the event-loop
// servers, which wait on a duplicate of its descriptor, do not), with
// permessage-deflate if o.Compress is set (only the servers CanCompress
// names are ever asked to) and the message limit o.Limit (which only
// those CanLimit names take from o; the others always use
// MaxMessageSize).
var serveFuncs = map[string]func(ln net.Listener, o Options) error{
	Fastws:        serveFastws,
	FastwsHandle:  serveFastwsHandle,
	FastwsLoop:    func(ln net.Listener, o Options) error { return serveFastwsLoop(ln, o, EventLoops()) },
	FastwsLoopAll: func(ln net.Listener, o Options) error { return serveFastwsLoop(ln, o, 0) },
	FastwsNoContext: func(ln net.Listener, o Options) error {
		return acceptFastwsMode(ln, o, noContextCompression)
	},
	FastwsWindow12: func(ln net.Listener, o Options) error {
		return acceptFastwsMode(ln, o, window12Compression)
	},
	"gorilla":  serveGorilla,
	"coder":    func(ln net.Listener, o Options) error { return serveCoder(ln, o.Compress) },
	"gobwas":   func(ln net.Listener, _ Options) error { return serveGobwas(ln) },
	"gws":      serveGws,
	"nbio":     serveNbio,
	Floor:      func(ln net.Listener, _ Options) error { return serveFloor(ln) },
	EpollFloor: func(ln net.Listener, o Options) error { return serveEpollFloor(ln, o.Compress) },
}

// Names lists the servers in the order they are run and reported.
var Names = []string{Fastws, FastwsHandle, FastwsLoop, FastwsLoopAll, "gorilla", "coder", "gobwas", "gws", "nbio", Floor, EpollFloor}

// Reference lists the servers that are not libraries but yardsticks
// (Floor for goroutine-per-connection servers, EpollFloor for event
// loops): they are reported, and never counted as the best peer.
var Reference = []string{Floor, EpollFloor}

// EventLoop lists the peers that serve connections from a few event loops
// rather than a goroutine each; the others are compared with fastws's
// goroutine-per-connection driver in a class of their own as well.
var EventLoop = []string{"nbio"}

// IsReference reports whether name is one of Reference.
func IsReference(name string) bool { return slices.Contains(Reference, name) }

// IsEventLoop reports whether name is one of EventLoop.
func IsEventLoop(name string) bool { return slices.Contains(EventLoop, name) }

// Compressed lists the servers that can run with permessage-deflate, in
// the order they are run and reported.
//
// FastwsLoopAll is here as well as FastwsLoop: compression is CPU-bound
// work on the loop, so one loop (EventLoops, nbio's count, which the echo
// matrix matches) caps the server at one core while the goroutine peers
// use every core; the default loop count shows what fastws's own default
// does.
//
// FastwsHandle reads with HandleMessages, as the Server's goroutine
// driver does; on a compressed connection it gathers each message into a
// buffer it keeps for the next (up to 1 MiB), as Fastws's AppendMessage
// loop does, where gws's OnMessage hands its buffer back to a pool.
//
// EpollFloor is the reference row: it agrees to permessage-deflate
// without context takeover either way and echoes each frame as it came,
// the client's compressed payload included, which that agreement makes a
// valid echo. So it does everything a compressed echo does but compress
// and inflate: what is left of a server's CPU per message against it is
// the codec's.
var Compressed = []string{Fastws, FastwsHandle, FastwsNoContext, FastwsWindow12, FastwsLoop, FastwsLoopAll, "gorilla", "coder", "gws", EpollFloor}

// Known reports whether name is one of Names.
func Known(name string) bool { return slices.Contains(Names, name) || slices.Contains(Modes, name) }

// KnownCompressed reports whether name is one of Compressed.
func KnownCompressed(name string) bool { return slices.Contains(Compressed, name) }

// acceptEach serves every connection ln accepts with serve, on a goroutine
// of its own, until ln is closed.
func acceptEach(ln net.Listener, serve func(net.Conn)) error {
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		go serve(nc)
	}
}

// upgradedByGobwas is serve behind gobwas's handshake: the connection is
// closed when serve returns or the handshake fails.
func upgradedByGobwas(serve func(net.Conn)) func(net.Conn) {
	return func(nc net.Conn) {
		defer nc.Close()
		if _, err := ws.Upgrade(nc); err != nil {
			return
		}
		serve(nc)
	}
}

// Serve runs the echo server called name on ln, with permessage-deflate
// if compress is set, and the message limit MaxMessageSize.
func Serve(name string, ln net.Listener, compress bool) error {
	if compress && !KnownCompressed(name) {
		return fmt.Errorf("servers: no compressed server %q (have %v)", name, Compressed)
	}
	return ServeWith(name, ln, Options{Compress: compress, Limit: MaxMessageSize})
}
