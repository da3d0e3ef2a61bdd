//go:build !purego

#include "textflag.h"

// Error bits of the lookup tables (Keiser and Lemire, 2021). A byte pair
// is an error when the bit survives the AND of the three lookups.
// TOO_SHORT 0x01 (a lead byte not followed by a continuation), TOO_LONG
// 0x02 (a continuation after ASCII), OVERLONG_3 0x04, TOO_LARGE 0x08,
// SURROGATE 0x10, OVERLONG_2 0x20, TOO_LARGE_1000 and OVERLONG_4 0x40,
// TWO_CONTS 0x80 (two continuations in a row).

// byte1High: indexed by the high nibble of the previous byte.
DATA byte1High<>+0x00(SB)/8, $0x0202020202020202
DATA byte1High<>+0x08(SB)/8, $0x4915012180808080
DATA byte1High<>+0x10(SB)/8, $0x0202020202020202
DATA byte1High<>+0x18(SB)/8, $0x4915012180808080
GLOBL byte1High<>(SB), RODATA|NOPTR, $32

// byte1Low: indexed by the low nibble of the previous byte.
DATA byte1Low<>+0x00(SB)/8, $0xCBCBCB8B8383A3E7
DATA byte1Low<>+0x08(SB)/8, $0xCBCBDBCBCBCBCBCB
DATA byte1Low<>+0x10(SB)/8, $0xCBCBCB8B8383A3E7
DATA byte1Low<>+0x18(SB)/8, $0xCBCBDBCBCBCBCBCB
GLOBL byte1Low<>(SB), RODATA|NOPTR, $32

// byte2High: indexed by the high nibble of the byte itself.
DATA byte2High<>+0x00(SB)/8, $0x0101010101010101
DATA byte2High<>+0x08(SB)/8, $0x01010101BABAAEE6
DATA byte2High<>+0x10(SB)/8, $0x0101010101010101
DATA byte2High<>+0x18(SB)/8, $0x01010101BABAAEE6
GLOBL byte2High<>(SB), RODATA|NOPTR, $32

// incompleteMax: a block whose last three bytes exceed these starts a
// sequence it does not finish (F0+ three from the end, E0+ two from the
// end, C0+ at the end).
DATA incompleteMax<>+0x00(SB)/8, $0xFFFFFFFFFFFFFFFF
DATA incompleteMax<>+0x08(SB)/8, $0xFFFFFFFFFFFFFFFF
DATA incompleteMax<>+0x10(SB)/8, $0xFFFFFFFFFFFFFFFF
DATA incompleteMax<>+0x18(SB)/8, $0xBFDFEFFFFFFFFFFF
GLOBL incompleteMax<>(SB), RODATA|NOPTR, $32

// CHECK folds the errors of block Y1 (its previous block in Y0) into Y7.
// Clobbers Y2-Y6.
#define CHECK \
	VPERM2I128 $0x21, Y1, Y0, Y2; \
	VPALIGNR   $15, Y2, Y1, Y3; \
	VPALIGNR   $14, Y2, Y1, Y4; \
	VPALIGNR   $13, Y2, Y1, Y5; \
	VPSRLW     $4, Y3, Y6; \
	VPAND      Y15, Y6, Y6; \
	VPSHUFB    Y6, Y14, Y6; \
	VPAND      Y15, Y3, Y3; \
	VPSHUFB    Y3, Y13, Y3; \
	VPSRLW     $4, Y1, Y2; \
	VPAND      Y15, Y2, Y2; \
	VPSHUFB    Y2, Y12, Y2; \
	VPAND      Y6, Y3, Y3; \
	VPAND      Y2, Y3, Y3; \
	VPSUBUSB   Y10, Y4, Y4; \
	VPSUBUSB   Y9, Y5, Y5; \
	VPOR       Y5, Y4, Y4; \
	VPAND      Y11, Y4, Y4; \
	VPXOR      Y4, Y3, Y3; \
	VPOR       Y3, Y7, Y7

// func validAVX2(p []byte) bool
TEXT ·validAVX2(SB), NOSPLIT, $0-25
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX

	MOVQ         $0x0F0F0F0F0F0F0F0F, AX
	MOVQ         AX, X15
	VPBROADCASTQ X15, Y15
	MOVQ         $0x8080808080808080, AX
	MOVQ         AX, X11
	VPBROADCASTQ X11, Y11
	// Bytes two back that are >= E0, and three back that are >= F0, reach
	// 0x80 after these saturating subtractions: the byte must then be a
	// continuation.
	MOVQ         $0x6060606060606060, AX
	MOVQ         AX, X10
	VPBROADCASTQ X10, Y10
	MOVQ         $0x7070707070707070, AX
	MOVQ         AX, X9
	VPBROADCASTQ X9, Y9
	VMOVDQU      byte1High<>(SB), Y14
	VMOVDQU      byte1Low<>(SB), Y13
	VMOVDQU      byte2High<>(SB), Y12
	VMOVDQU      incompleteMax<>(SB), Y8

	VPXOR Y0, Y0, Y0 // the block before the first: nothing pending
	VPXOR Y7, Y7, Y7 // errors so far

	MOVQ CX, DX
	ANDQ $~31, DX // end of the whole blocks
	XORQ AX, AX

loop:
	VMOVDQU   (SI)(AX*1), Y1
	VPMOVMSKB Y1, BX
	TESTL     BX, BX
	JNZ       full

	// An ASCII block: only a sequence left open by the block before can
	// be wrong.
	VPSUBUSB Y8, Y0, Y2
	VPOR     Y2, Y7, Y7
	JMP      next

full:
	CHECK

next:
	VMOVDQA Y1, Y0
	ADDQ    $32, AX
	CMPQ    AX, DX
	JB      loop

	// A partial last block: check the last 32 bytes, with the 32 before
	// them as their predecessor. Checking bytes twice finds nothing new.
	CMPQ    DX, CX
	JEQ     done
	VMOVDQU -64(SI)(CX*1), Y0
	VMOVDQU -32(SI)(CX*1), Y1
	CHECK
	VMOVDQA Y1, Y0

done:
	// The input must not end inside a sequence.
	VPSUBUSB Y8, Y0, Y2
	VPOR     Y2, Y7, Y7
	VPTEST   Y7, Y7
	SETEQ    ret+24(FP)
	VZEROUPPER
	RET
