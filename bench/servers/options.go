package servers

import (
	"fmt"
	"net"
	"slices"
)

// Options configures a server run by ServeWith.
type Options struct {
	// Compress turns permessage-deflate on, with the library's own
	// defaults otherwise; only the servers CanCompress names have it.
	Compress bool

	// Limit is the largest message the server accepts, in bytes. 0 leaves
	// the library's own default, whatever it is (DefaultLimit says),
	// because what a user gets without setting anything is itself worth
	// measuring. Only the servers CanLimit names take it; the others
	// always use MaxMessageSize.
	Limit int64
}

// Limited lists the servers whose message limit Options.Limit sets.
var Limited = []string{Fastws, FastwsHandle, FastwsLoop, "gorilla", "gws", "nbio"}

// deflateOnly lists the servers that can compress but are not in
// Compressed, which is what echobench -compressed runs: nbio's
// permessage-deflate is there for the memory battery's decompression
// bomb, not for the compressed throughput comparison.
var deflateOnly = []string{"nbio"}

// CanLimit reports whether ServeWith sets the message limit of name.
func CanLimit(name string) bool { return slices.Contains(Limited, name) }

// CanCompress reports whether name can run with permessage-deflate under
// ServeWith: the servers in Compressed, fastws-handle and nbio.
func CanCompress(name string) bool {
	return KnownCompressed(name) || name == FastwsHandle || slices.Contains(deflateOnly, name)
}

// Check reports whether the server called name can run with o.
func (o Options) Check(name string) error {
	if !Known(name) {
		return fmt.Errorf("servers: unknown server %q", name)
	}
	if o.Compress && !CanCompress(name) {
		return fmt.Errorf("servers: server %q has no permessage-deflate", name)
	}
	if o.Limit < 0 || (o.Limit != MaxMessageSize && !CanLimit(name)) {
		return fmt.Errorf("servers: server %q cannot take the message limit %d (these can: %v)", name, o.Limit, Limited)
	}
	return nil
}

// ServeWith runs the echo server called name on ln with the options o.
func ServeWith(name string, ln net.Listener, o Options) error {
	if err := o.Check(name); err != nil {
		return err
	}
	return serveFuncs[name](ln, o)
}
