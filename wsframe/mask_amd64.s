//go:build !purego

#include "textflag.h"

// Both routines mask floor(len(b)/block)*block bytes of b in place and
// leave the rest to the caller. Because the block sizes are multiples of
// four, the key keeps its phase across the part done here, so the caller
// finishes the tail with the same k32. The loads and stores are unaligned
// (VMOVDQU, MOVOU, and VEX-encoded VPXOR with a memory operand, which has
// no alignment requirement), so any slice works.

// func maskAVX2(k32 uint32, b []byte)
TEXT ·maskAVX2(SB), NOSPLIT, $0-32
	MOVQ         b_base+8(FP), SI
	MOVQ         b_len+16(FP), CX
	// The key goes through AX and X0 because vet's asmdecl check does not
	// accept a 4-byte argument as VPBROADCASTD's memory operand.
	MOVL         k32+0(FP), AX
	MOVL         AX, X0
	VPBROADCASTD X0, Y0

	// Four blocks per iteration spread the add, compare and branch over
	// 128 bytes, so the stores, about one a cycle, set the pace rather
	// than the loop overhead.
	CMPQ CX, $128
	JB   step32

loop128:
	VPXOR   (SI), Y0, Y1
	VPXOR   32(SI), Y0, Y2
	VPXOR   64(SI), Y0, Y3
	VPXOR   96(SI), Y0, Y4
	VMOVDQU Y1, (SI)
	VMOVDQU Y2, 32(SI)
	VMOVDQU Y3, 64(SI)
	VMOVDQU Y4, 96(SI)
	ADDQ    $128, SI
	SUBQ    $128, CX
	CMPQ    CX, $128
	JAE     loop128

step32:
	// Up to three whole 32-byte blocks remain; a partial one is the
	// caller's.
	CMPQ CX, $32
	JB   done

loop32:
	VPXOR   (SI), Y0, Y1
	VMOVDQU Y1, (SI)
	ADDQ    $32, SI
	SUBQ    $32, CX
	CMPQ    CX, $32
	JAE     loop32

done:
	// Leaving the upper YMM halves dirty would slow down any SSE code the
	// caller runs next.
	VZEROUPPER
	RET

// func maskSSE2(k32 uint32, b []byte)
TEXT ·maskSSE2(SB), NOSPLIT, $0-32
	MOVQ   b_base+8(FP), SI
	MOVQ   b_len+16(FP), CX
	MOVL   k32+0(FP), AX
	MOVL   AX, X0
	PSHUFD $0, X0, X0

	// Legacy-encoded PXOR faults on an unaligned memory operand, so the
	// data goes through MOVOU into registers first.
	CMPQ CX, $64
	JB   step16

loop64:
	MOVOU (SI), X1
	MOVOU 16(SI), X2
	MOVOU 32(SI), X3
	MOVOU 48(SI), X4
	PXOR  X0, X1
	PXOR  X0, X2
	PXOR  X0, X3
	PXOR  X0, X4
	MOVOU X1, (SI)
	MOVOU X2, 16(SI)
	MOVOU X3, 32(SI)
	MOVOU X4, 48(SI)
	ADDQ  $64, SI
	SUBQ  $64, CX
	CMPQ  CX, $64
	JAE   loop64

step16:
	CMPQ CX, $16
	JB   done

loop16:
	MOVOU (SI), X1
	PXOR  X0, X1
	MOVOU X1, (SI)
	ADDQ  $16, SI
	SUBQ  $16, CX
	CMPQ  CX, $16
	JAE   loop16

done:
	RET
