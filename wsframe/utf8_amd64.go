//go:build !purego

package wsframe

import (
	"unicode/utf8"

	"golang.org/x/sys/cpu"
)

// useAVX2 and useSSE2 select the vector validators. SSE2 is part of the
// amd64 baseline, so only AVX2 depends on the CPU. Tests turn useAVX2 off
// to reach the SSE2 path, and both off to reach the portable one, on the
// same machine and inputs.
var (
	useAVX2 = cpu.X86.HasAVX2
	useSSE2 = true
)

// avx2Min and sse2Min are the shortest inputs handed to each routine.
// validAVX2 needs 64 bytes, since its last block may overlap the one
// before it; from there on it beats the SSE2 scan even on ASCII. The SSE2
// scan beats asciiPrefix from one vector on.
const (
	avx2Min = 64
	sse2Min = 16
)

// validAVX2 reports whether p, at least 64 bytes long, is valid UTF-8 that
// ends on a sequence boundary. It scans ASCII 128 bytes at a time, and
// checks the rest with the lookup algorithm of Keiser and Lemire
// ("Validating UTF-8 In Less Than One Instruction Per Byte", 2021): three
// table lookups on nibbles of each byte and the byte before it classify
// every error a two-byte window can show, and a check of the bytes two and
// three back catches missing or surplus continuation bytes. It is in
// utf8_amd64.s.
//
//go:noescape
func validAVX2(p []byte) bool

// asciiPrefixSSE2 is asciiPrefix 64 bytes a step, for CPUs without AVX2.
// It is in utf8_sse2_amd64.s.
//
//go:noescape
func asciiPrefixSSE2(p []byte) int

// validSSE2 is validGo with the faster scan. SSE2 has no byte shuffle to
// run the lookup algorithm with, so text past the ASCII prefix goes to the
// standard library's validator.
func validSSE2(p []byte) bool {
	n := asciiPrefixSSE2(p)
	return n == len(p) || utf8.Valid(p[n:])
}

// validWhole reports whether p is valid UTF-8 ending on a sequence
// boundary.
func validWhole(p []byte) bool {
	switch {
	case useAVX2 && len(p) >= avx2Min:
		return validAVX2(p)
	case useSSE2 && len(p) >= sse2Min:
		return validSSE2(p)
	}
	return validGo(p)
}
