package fastws

import "github.com/fastws/fastws/internal/deflate"

// NewCompressionForTest is a compressor without context takeover, for
// tests that play a peer.
func NewCompressionForTest() *deflate.Compressor { return deflate.NewCompressor(1, 15, false) }

// deflateAgreementForTest is context takeover both ways with full windows.
func deflateAgreementForTest() deflate.Agreement {
	return deflate.Agreement{CompressWindowBits: 15, DecompressWindowBits: 15}
}

// deflateOfferFrom reads a permessage-deflate offer as the client that
// made it would hold it.
func deflateOfferFrom(e Extension) (Extension, deflate.Params) {
	p, _ := deflate.ParseParams(toDeflateParams(e.Params))
	return e, p
}
