//go:build !js

package fastws

// Outside the browser every API is available: these checks (see
// unsupported_js.go) are nil constants, which the compiler removes from
// their callers.

func (c *Conn) checkRawFrames() error { return nil }

func (c *Conn) checkPing() error { return nil }

func checkServerSide(api string) error { return nil }
