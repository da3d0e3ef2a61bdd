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

// Byte constants, broadcast from memory. Building them in a general
// register and moving it with legacy-encoded MOVQ, as this file once did,
// costs an SSE/AVX state transition for each one once a YMM register is
// in use: about 125 ns apiece on the virtual Xeon measured, which made a
// 128-byte input take 380 ns.
DATA lowNibbles<>+0x00(SB)/8, $0x0F0F0F0F0F0F0F0F
GLOBL lowNibbles<>(SB), RODATA|NOPTR, $8
DATA highBits<>+0x00(SB)/8, $0x8080808080808080
GLOBL highBits<>(SB), RODATA|NOPTR, $8
DATA lead3Bias<>+0x00(SB)/8, $0x6060606060606060
GLOBL lead3Bias<>(SB), RODATA|NOPTR, $8
DATA lead4Bias<>+0x00(SB)/8, $0x7070707070707070
GLOBL lead4Bias<>(SB), RODATA|NOPTR, $8

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
	MOVQ  p_base+0(FP), SI
	MOVQ  p_len+8(FP), CX
	XORQ  AX, AX
	VPXOR Y7, Y7, Y7 // errors so far
	MOVQ  CX, DX
	ANDQ  $~31, DX   // end of the whole blocks
	LEAQ  -128(CX), R9 // the last start of four whole blocks; negative if none

	// Most text is ASCII, which needs no more than a look at the top bit
	// of every byte. This scan runs at the start and again after every
	// ASCII block the full check comes across; it leaves for the full
	// check at the first block with a byte of 0x80 or more, where the
	// block before is ASCII and no sequence is open.
ascii:
	CMPQ AX, R9
	JGT  ascii32

ascii128:
	VMOVDQU   (SI)(AX*1), Y1
	VMOVDQU   32(SI)(AX*1), Y2
	VMOVDQU   64(SI)(AX*1), Y3
	VMOVDQU   96(SI)(AX*1), Y4
	VPOR      Y1, Y2, Y5
	VPOR      Y3, Y4, Y6
	VPOR      Y5, Y6, Y6
	VPMOVMSKB Y6, BX
	TESTL     BX, BX
	JNZ       which
	ADDQ      $128, AX
	CMPQ      AX, R9
	JLE       ascii128

ascii32:
	CMPQ      AX, DX
	JAE       asciiTail
	VMOVDQU   (SI)(AX*1), Y1
	VPMOVMSKB Y1, BX
	TESTL     BX, BX
	JNZ       vector
	ADDQ      $32, AX
	JMP       ascii32

asciiTail:
	// A partial last block: if the last 32 bytes are ASCII, so is the
	// input; if not, the full check takes them, as it would have anyway.
	CMPQ      AX, CX
	JEQ       done
	VMOVDQU   -32(SI)(CX*1), Y1
	VPMOVMSKB Y1, BX
	TESTL     BX, BX
	JZ        done
	JMP       vector

which:
	// Skip the ASCII blocks at the start of the four, so that the full
	// check does not hand them straight back to the scan.
	VPMOVMSKB Y1, BX
	TESTL     BX, BX
	JNZ       vector
	ADDQ      $32, AX
	VPMOVMSKB Y2, BX
	TESTL     BX, BX
	JNZ       vector
	ADDQ      $32, AX
	VPMOVMSKB Y3, BX
	TESTL     BX, BX
	JNZ       vector
	ADDQ      $32, AX

vector:
	VPBROADCASTQ lowNibbles<>(SB), Y15
	VPBROADCASTQ highBits<>(SB), Y11
	// Bytes two back that are >= E0, and three back that are >= F0, reach
	// 0x80 after these saturating subtractions: the byte must then be a
	// continuation.
	VPBROADCASTQ lead3Bias<>(SB), Y10
	VPBROADCASTQ lead4Bias<>(SB), Y9
	VMOVDQU      byte1High<>(SB), Y14
	VMOVDQU      byte1Low<>(SB), Y13
	VMOVDQU      byte2High<>(SB), Y12
	VMOVDQU      incompleteMax<>(SB), Y8
	VPXOR        Y0, Y0, Y0 // the block before: ASCII, or none

full:
	CMPQ      AX, DX
	JAE       fullTail
	VMOVDQU   (SI)(AX*1), Y1
	VPMOVMSKB Y1, BX
	TESTL     BX, BX
	JNZ       check

	// An ASCII block: only a sequence left open by the block before can
	// be wrong, and after it the scan can take over again.
	VPSUBUSB Y8, Y0, Y2
	VPOR     Y2, Y7, Y7
	ADDQ     $32, AX
	JMP      ascii

check:
	CHECK
	VMOVDQA Y1, Y0
	ADDQ    $32, AX
	JMP     full

fullTail:
	// A partial last block: check the last 32 bytes, with the 32 before
	// them as their predecessor. Checking bytes twice finds nothing new.
	CMPQ    DX, CX
	JEQ     end
	VMOVDQU -64(SI)(CX*1), Y0
	VMOVDQU -32(SI)(CX*1), Y1
	CHECK
	VMOVDQA Y1, Y0

end:
	// The input must not end inside a sequence.
	VPSUBUSB Y8, Y0, Y2
	VPOR     Y2, Y7, Y7

done:
	VPTEST Y7, Y7
	SETEQ  ret+24(FP)
	VZEROUPPER
	RET
