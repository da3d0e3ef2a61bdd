//go:build !js

package fastws

import (
	"crypto/tls"
	"net/http"
	"runtime"
	"sync"
	"time"
	"weak"
)

// h2Pool holds the HTTP/2 connections WebSockets share: an http.Transport
// whose HTTP/2 side (net/http's own, reached through TLSNextProto["h2"],
// the documented hand-over after ALPN) keeps them, and sends each
// extended CONNECT on one that has room. Dial does the dialling itself
// (proxy, NetDial, TLS with the caller's config) and hands a connection
// over when the pool has none.
//
// The HTTP/2 side is used directly because net/http's Transport.RoundTrip
// refuses the :protocol pseudo-header: it checks header names before it
// knows the request will go over HTTP/2.
type h2Pool struct {
	t      *http.Transport
	shared bool // false: one Dial's own, its connection closed with the stream

	mu      sync.Mutex
	rt      http.RoundTripper    // the HTTP/2 side, once a stream proved it
	refused map[string]time.Time // host:port → when it picked h2 without extended CONNECT
}

func newH2Pool(shared bool) *h2Pool {
	t := &http.Transport{
		ForceAttemptHTTP2:      true,
		DisableCompression:     true, // no Accept-Encoding on the CONNECT
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: DefaultMaxResponseHeaderBytes,
	}
	t.CloseIdleConnections() // sets up the HTTP/2 side, TLSNextProto["h2"]
	return &h2Pool{t: t, shared: shared}
}

// h2Pools are the shared pools: one for Dials without a TLSConfig, one
// per TLSConfig (by pointer, held weakly: a config the caller drops takes
// its pool with it). A Dial with a NetDial or Proxy of its own gets a
// pool of its own, since its connections may not reach the host the way
// another Dial's do.
var h2Pools struct {
	sync.Mutex
	plain    *h2Pool
	byConfig map[weak.Pointer[tls.Config]]*h2Pool
}

func h2PoolFor(opts *DialOptions) *h2Pool {
	if opts.NetDial != nil || opts.Proxy != nil {
		return newH2Pool(false)
	}
	h2Pools.Lock()
	defer h2Pools.Unlock()
	if opts.TLSConfig == nil {
		if h2Pools.plain == nil {
			h2Pools.plain = newH2Pool(true)
		}
		return h2Pools.plain
	}
	key := weak.Make(opts.TLSConfig)
	if p := h2Pools.byConfig[key]; p != nil {
		return p
	}
	if h2Pools.byConfig == nil {
		h2Pools.byConfig = make(map[weak.Pointer[tls.Config]]*h2Pool)
	}
	p := newH2Pool(true)
	h2Pools.byConfig[key] = p
	runtime.AddCleanup(opts.TLSConfig, func(key weak.Pointer[tls.Config]) {
		h2Pools.Lock()
		delete(h2Pools.byConfig, key)
		h2Pools.Unlock()
		p.t.CloseIdleConnections()
	}, key)
	return p
}

// available reports whether net/http's HTTP/2 client is there (it is
// not under GODEBUG=http2client=0).
func (p *h2Pool) available() bool { return p.t.TLSNextProto["h2"] != nil }

func (p *h2Pool) roundTripper() http.RoundTripper {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rt
}

// adopt hands a TLS connection that negotiated h2 to the pool, which
// keeps it unless it already has one with room (then it closes it), and
// returns the HTTP/2 side to send on.
func (p *h2Pool) adopt(addr string, tc *tls.Conn) http.RoundTripper {
	return p.t.TLSNextProto["h2"](addr, tc)
}

// keep records rt as the pool's HTTP/2 side once a stream got an answer
// through it (before that it may be net/http's error-returning stand-in
// for a connection that failed to start).
func (p *h2Pool) keep(rt http.RoundTripper) {
	p.mu.Lock()
	p.rt = rt
	p.mu.Unlock()
}

func (p *h2Pool) refuse(addr string) {
	if !p.shared {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refused == nil {
		p.refused = make(map[string]time.Time)
	}
	now := time.Now()
	for a, t := range p.refused { // bounded by the hosts seen in refusedTTL
		if now.Sub(t) > refusedTTL {
			delete(p.refused, a)
		}
	}
	p.refused[addr] = now
}

func (p *h2Pool) refusedRecently(addr string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.refused[addr]
	return ok && time.Since(t) < refusedTTL
}
