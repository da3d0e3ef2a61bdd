//go:build !js

package fastws

import (
	"context"
	"net"

	"github.com/fastws/fastws/internal/deflate"
)

// What only the native Dial (dial.go) uses of the options it shares with
// the browser's (dial_js.go), which has no redirects, response head,
// network dialler or permessage-deflate offer of its own.

// maxRedirects bounds FollowRedirects.
const maxRedirects = 10

func (o *DialOptions) maxResponseHeaderBytes() int {
	if o.MaxResponseHeaderBytes > 0 {
		return o.MaxResponseHeaderBytes
	}
	return DefaultMaxResponseHeaderBytes
}

func (o *DialOptions) netDial(ctx context.Context, addr string) (net.Conn, error) {
	if o.NetDial != nil {
		return o.NetDial(ctx, "tcp", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// deflateOffer is the client's offer.
func deflateOffer(opts *CompressionOptions) (Extension, deflate.Params) {
	p := deflate.Offer(opts.preferences())
	return Extension{Name: deflate.Name, Params: fromDeflateParams(p.Format())}, p
}
