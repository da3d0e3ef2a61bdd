package wsframe

import (
	"encoding/binary"
	"math/bits"
)

// Mask XORs b in place with the masking key, starting at byte pos (0–3) of
// the key, and returns the key position for the byte that follows b, so that
// a payload arriving in parts can be unmasked part by part. Masking is its
// own inverse: the same call masks and unmasks.
//
// On amd64, inputs longer than a hundred bytes or so go through AVX2 or
// SSE2 assembly (mask_amd64.s); elsewhere, with the purego build tag, and
// for short inputs and tails it works on 32 bytes per step with 64-bit
// words.
// Either way any alignment is fine: the loads and stores are
// unaligned-safe on every architecture Go supports.
func Mask(key [4]byte, pos int, b []byte) int {
	if len(b) == 0 {
		return pos & 3
	}
	// Rotate the key so that its byte at pos lines up with b[0].
	k32 := bits.RotateLeft32(binary.LittleEndian.Uint32(key[:]), -8*(pos&3))
	// Short inputs skip the vector dispatch, whose call alone would be a
	// large part of their cost.
	rest := b
	if len(b) >= maskBlocksMin {
		rest = maskBlocks(k32, b)
	}
	maskWords(k32, rest)
	return (pos + len(b)) & 3
}

// maskWords masks b with k32, whose low byte applies to b[0]. It is the
// pure-Go path: the whole of b without the assembly, and the short inputs
// and tails the assembly leaves over with it.
func maskWords(k32 uint32, b []byte) {
	k := uint64(k32)<<32 | uint64(k32)
	for len(b) >= 32 {
		v0 := binary.LittleEndian.Uint64(b[0:8]) ^ k
		v1 := binary.LittleEndian.Uint64(b[8:16]) ^ k
		v2 := binary.LittleEndian.Uint64(b[16:24]) ^ k
		v3 := binary.LittleEndian.Uint64(b[24:32]) ^ k
		binary.LittleEndian.PutUint64(b[0:8], v0)
		binary.LittleEndian.PutUint64(b[8:16], v1)
		binary.LittleEndian.PutUint64(b[16:24], v2)
		binary.LittleEndian.PutUint64(b[24:32], v3)
		b = b[32:]
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	// Whole words keep the key's phase, so the tail starts at key byte 0.
	for i := range b {
		b[i] ^= byte(k32 >> (8 * (uint(i) & 3)))
	}
}
