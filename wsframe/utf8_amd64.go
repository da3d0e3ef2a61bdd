//go:build !purego

package wsframe

import (
	"unicode/utf8"

	"golang.org/x/sys/cpu"
)

// useAVX2 selects the vector validator; tests turn it off to compare the
// two paths on the same inputs.
var useAVX2 = cpu.X86.HasAVX2

// validAVX2 reports whether p, at least 64 bytes long, is valid UTF-8 that
// ends on a sequence boundary. It implements the lookup algorithm of
// Keiser and Lemire ("Validating UTF-8 In Less Than One Instruction Per
// Byte", 2021): three table lookups on nibbles of each byte and the byte
// before it classify every error a two-byte window can show, and a check
// of the bytes two and three back catches missing or surplus continuation
// bytes. It is in utf8_amd64.s.
//
//go:noescape
func validAVX2(p []byte) bool

// validWhole reports whether p is valid UTF-8 ending on a sequence
// boundary. The vector path pays off from a few dozen bytes on; shorter
// inputs, and machines without AVX2, take the standard library's
// validator, which has its own fast path for ASCII.
func validWhole(p []byte) bool {
	if useAVX2 && len(p) >= 64 {
		return validAVX2(p)
	}
	return utf8.Valid(p)
}
