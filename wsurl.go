package fastws

import (
	"fmt"
	"net/url"
)

// parseWSURL checks the scheme and normalises it to ws or wss.
func parseWSURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("fastws: Dial: %w", err)
	}
	switch u.Scheme {
	case "ws", "http":
		u.Scheme = "ws"
	case "wss", "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("fastws: Dial: unsupported URL scheme %q (want ws or wss)", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("fastws: Dial: URL %q has no host", raw)
	}
	return u, nil
}
