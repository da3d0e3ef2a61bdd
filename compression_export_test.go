package fastws

import "github.com/fastws/fastws/internal/deflate"

// NewCompressionForTest is a compressor without context takeover, for
// tests that play a peer.
func NewCompressionForTest() *deflate.Compressor { return deflate.NewCompressor(1, 15, false) }
