// Package h2upgrade tests fastws.Upgrade over HTTP/2 (RFC 8441) with
// x/net's HTTP/2 client, which sends the :protocol pseudo-header that
// net/http's own client refuses (Go 1.26). It lives in the bench module
// so that x/net, a test-only dependency, stays out of the library's
// go.mod.
package h2upgrade
