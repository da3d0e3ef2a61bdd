//go:build !amd64 || purego

package wsframe

import "math"

// useMaskAVX2 and useMaskSSE2 are never set without the amd64 assembly;
// they exist so that the tests comparing the paths build everywhere.
var (
	useMaskAVX2 = false
	useMaskSSE2 = false
)

// maskBlocksMin is beyond any slice length: without the assembly Mask
// leaves all of b to maskWords.
const maskBlocksMin = math.MaxInt

// maskBlocks is never called here; it exists so that Mask builds
// everywhere. It leaves all of b to maskWords.
func maskBlocks(_ uint32, b []byte) []byte { return b }
