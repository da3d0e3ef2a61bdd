// Package servers holds one WebSocket echo server per library under test,
// each written with that library's fastest idiomatic API: compression off,
// origin checks off, and a message limit of MaxMessageSize.
package servers

import (
	"fmt"
	"net"
	"slices"
)

// MaxMessageSize is the largest message every server accepts.
const MaxMessageSize = 64 << 20

// keptBufferSize bounds the read buffer a connection keeps between
// messages: one huge message should not pin its memory for the
// connection's life.
const keptBufferSize = 1 << 20

// Fastws is the name of the library being benchmarked; every other name in
// Names is a peer it is compared against.
const Fastws = "fastws"

// serveFuncs maps each name to a function that serves echo on ln until ln
// is closed or the process ends.
var serveFuncs = map[string]func(ln net.Listener) error{
	Fastws:    serveFastws,
	"gorilla": serveGorilla,
	"coder":   serveCoder,
	"gobwas":  serveGobwas,
	"gws":     serveGws,
	"nbio":    serveNbio,
}

// Names lists the servers in the order they are run and reported.
var Names = []string{Fastws, "gorilla", "coder", "gobwas", "gws", "nbio"}

// Known reports whether name is one of Names.
func Known(name string) bool { return slices.Contains(Names, name) }

// Serve runs the echo server called name on ln.
func Serve(name string, ln net.Listener) error {
	f, ok := serveFuncs[name]
	if !ok {
		return fmt.Errorf("servers: unknown server %q", name)
	}
	return f(ln)
}
