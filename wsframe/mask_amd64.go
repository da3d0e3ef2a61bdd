//go:build !purego

package wsframe

import "golang.org/x/sys/cpu"

// useMaskAVX2 and useMaskSSE2 select the vector masking path. SSE2 is part
// of the amd64 baseline, so only AVX2 depends on the CPU. Tests turn
// useMaskAVX2 off to reach the SSE2 path, and both off to reach pure Go,
// on the same machine and inputs.
var (
	useMaskAVX2 = cpu.X86.HasAVX2
	useMaskSSE2 = true
)

// maskAVX2Min and maskSSE2Min are the shortest inputs handed to each
// routine. Below them the call and the key broadcast cost more than
// maskWords spends on the whole input: on an AMD EPYC the AVX2 routine
// overtook the 64-bit word loop at about 128 bytes, the SSE2 one, which
// moves only twice as much per store, at about 256. maskBlocksMin lets
// Mask skip the call to maskBlocks below both.
const (
	maskAVX2Min   = 128
	maskSSE2Min   = 256
	maskBlocksMin = min(maskAVX2Min, maskSSE2Min)
)

// maskAVX2 masks the whole 32-byte blocks at the start of b with k32 and
// leaves any shorter remainder untouched. It is in mask_amd64.s.
//
//go:noescape
func maskAVX2(k32 uint32, b []byte)

// maskSSE2 masks the whole 16-byte blocks at the start of b with k32 and
// leaves any shorter remainder untouched. It is in mask_amd64.s.
//
//go:noescape
func maskSSE2(k32 uint32, b []byte)

// maskBlocks masks the whole vector blocks at the start of b with k32,
// whose low byte applies to b[0], and returns what it left for maskWords:
// the tail shorter than a block, or all of b when b is too short for the
// selected routine or none is selected. A block is a multiple of four
// bytes, so the rest still starts at key byte 0 and takes the same k32.
func maskBlocks(k32 uint32, b []byte) []byte {
	n := 0
	switch {
	case useMaskAVX2 && len(b) >= maskAVX2Min:
		n = len(b) &^ 31
		maskAVX2(k32, b[:n])
	case useMaskSSE2 && len(b) >= maskSSE2Min:
		n = len(b) &^ 15
		maskSSE2(k32, b[:n])
	}
	return b[n:]
}
