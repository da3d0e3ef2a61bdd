//go:build !purego

#include "textflag.h"

// func asciiPrefixSSE2(p []byte) int
TEXT ·asciiPrefixSSE2(SB), NOSPLIT, $0-32
	MOVQ p_base+0(FP), SI
	MOVQ p_len+8(FP), CX
	XORQ AX, AX
	LEAQ -64(CX), DX // the last start of four whole blocks; negative if none
	CMPQ AX, DX
	JGT  step16

	// Four blocks per step keep the loop overhead off the critical path;
	// the OR of the four shows whether any byte has its top bit set.
loop64:
	MOVOU    (SI)(AX*1), X0
	MOVOU    16(SI)(AX*1), X1
	MOVOU    32(SI)(AX*1), X2
	MOVOU    48(SI)(AX*1), X3
	MOVO     X0, X4
	POR      X1, X4
	MOVO     X2, X5
	POR      X3, X5
	POR      X5, X4
	PMOVMSKB X4, BX
	TESTL    BX, BX
	JNZ      found64
	ADDQ     $64, AX
	CMPQ     AX, DX
	JLE      loop64

step16:
	LEAQ -16(CX), DX
	CMPQ AX, DX
	JGT  tail

loop16:
	MOVOU    (SI)(AX*1), X0
	PMOVMSKB X0, BX
	TESTL    BX, BX
	JNZ      found
	ADDQ     $16, AX
	CMPQ     AX, DX
	JLE      loop16

tail:
	CMPQ AX, CX
	JEQ  ret
	CMPQ CX, $16
	JB   bytes

	// The last 16 bytes overlap bytes already known to be ASCII, so their
	// first high bit is where the prefix ends.
	MOVQ     CX, AX
	SUBQ     $16, AX
	MOVOU    (SI)(AX*1), X0
	PMOVMSKB X0, BX
	TESTL    BX, BX
	JNZ      found
	MOVQ     CX, AX
	JMP      ret

bytes:
	MOVBLZX (SI)(AX*1), BX
	TESTB   $0x80, BL
	JNZ     ret
	INCQ    AX
	CMPQ    AX, CX
	JB      bytes
	JMP     ret

found64:
	// Gather the four masks into one, lowest block in the lowest bits.
	PMOVMSKB X0, BX
	PMOVMSKB X1, R8
	SHLQ     $16, R8
	ORQ      R8, BX
	PMOVMSKB X2, R8
	SHLQ     $32, R8
	ORQ      R8, BX
	PMOVMSKB X3, R8
	SHLQ     $48, R8
	ORQ      R8, BX

found:
	BSFQ BX, BX
	ADDQ BX, AX

ret:
	MOVQ AX, ret+24(FP)
	RET
